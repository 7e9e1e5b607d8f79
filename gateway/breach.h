/*
 * breach.h: the rules of the personal-data breach register (UK GDPR
 * Art 33 and 34), pure: no I/O, no allocation, no state. breach_api.c
 * records breaches and decisions; these functions say what the clock shows
 * and whether a decision may be recorded. Every rule is a unit test
 * (tests/unit/test_breach.c).
 *
 *   deadline		the regulator must be told within 72 hours of the
 *			charity becoming aware (Art 33(1)): aware + 72 h, the
 *			last instant that is still in time
 *   overdue		no decision yet and now is past the deadline
 *   reasons_required	every decision gives its reasons, for the regulator
 *			and for the people affected (Art 33(5): the register
 *			documents the facts, effects and action taken)
 *   report_required	a breach assessed as high risk must be reported: a
 *			high risk is a risk, and Art 33(1) lets only a breach
 *			"unlikely to result in a risk" go unreported
 *   delay_reason_required a decision made after the deadline carries the
 *			reasons for the delay (Art 33(1)): a report made late,
 *			and a decision not to report when the breach was first
 *			assessed late (the assessment is what the 72 hours are
 *			for; Art 33(5) documents it); such a decision is "late"
 *			as a late report is (breach_assessed_us())
 *   art34_exception_required a high-risk breach whose people are not told
 *			names one of the Art 34(3) exceptions (its reason is
 *			the decision's individuals_reason)
 *   breach_already_reported a report to the regulator cannot be undone: once
 *			a decision reported the breach, a later one that does
 *			not is refused (409)
 *   art34_exception_required (again) a decision not to tell the people
 *			after the latest said to tell them names the Art 34(3)
 *			exception it relies on, whatever the risk now assessed
 *   breach facts	aware not before occurred, neither in the future; after
 *			an amendment, the earliest awareness ever recorded (the
 *			one the deadline runs from) not before occurred either
 *   notify_overdue	the latest decision says the people are to be told
 *			(Art 34(1): "without undue delay"), it was first said
 *			more than 72 hours ago, and no notice is recorded
 *   notice facts	people are told after the charity became aware of the
 *			breach, and not in the future
 *
 * Times are microseconds since the epoch, UTC.
 */
#ifndef BREACH_H
#define BREACH_H

#include <stdint.h>

#define BREACH_DEADLINE_US	(INT64_C(72) * 3600 * 1000000)
/* "Without undue delay" (Art 34(1)), as the register flags it: the people
 * told within 72 hours of the decision to tell them. */
#define BREACH_NOTIFY_DELAY_US	(INT64_C(72) * 3600 * 1000000)

/* One decision as asked (schemas/breach-decision.schema.json); strings
 * may be NULL or blank (decide_has_text()): "not given". */
struct breach_decision {
	int		 high_risk;		/* likely to result in a high risk (Art 34(1)) */
	int		 report_to_regulator;
	const char	*regulator_reason;
	const char	*delay_reason;
	int		 notify_individuals;
	const char	*individuals_reason;
	const char	*art34_exception;	/* breach_is_art34_exception() or NULL */
};

/* The last instant at which a report is in time: aware_us + 72 hours. */
int64_t		 breach_deadline_us(int64_t aware_us);
/* 1 when the breach has no decision (decided is 0) and now is past the
 * deadline; else 0. */
int		 breach_overdue(int64_t aware_us, int decided, int64_t now_us);
/* Checks a breach as recorded: NULL when acceptable, else the rule code
 * ("aware_before_occurred", "aware_in_future"). occurred_us 0: unknown. */
const char	*breach_check_facts(int64_t occurred_us, int64_t aware_us, int64_t now_us);
/*
 * Checks a decision made at now_us about a breach of which the charity
 * became aware at aware_us. reported_us is when the regulator was first
 * reported to by an earlier decision of the register (0: never): a report
 * already made in time stays in time when a later amendment repeats it.
 * decided_us is when the register's first decision was made (0: this is
 * the first): a breach first assessed in time stays so when a later
 * decision, again not to report, revises it.
 * Returns NULL when the decision may be recorded, else the code of the
 * first rule it fails, in the order of the list above; *message (may be
 * NULL) then gets a sentence without personal data.
 */
const char	*breach_check_decision(const struct breach_decision *d, int64_t aware_us,
		    int64_t reported_us, int64_t decided_us, int64_t now_us, const char **message);
/*
 * Checks a decision, acceptable by breach_check_decision(), against the
 * decisions before it: reported_us as there, notify_before 1 when the
 * latest earlier decision said to tell the people. Returns NULL, or
 * "breach_already_reported" (a report, once made, cannot be undone) or
 * "art34_exception_required" (withdrawing the telling of the people names
 * an Art 34(3) exception); *message (may be NULL) as there.
 */
const char	*breach_check_revision(const struct breach_decision *d, int64_t reported_us,
		    int notify_before, const char **message);
/*
 * Checks an amendment's times: occurred_us the occurrence as corrected (or
 * as it stood), aware_min_us the earliest awareness recorded before it,
 * new_aware_us the amendment's awareness (0: not corrected). The breach
 * cannot have been known of before it occurred at any awareness the
 * register keeps, and the earliest is the one the deadline runs from.
 * NULL, or the codes of breach_check_facts().
 */
const char	*breach_check_amended_facts(int64_t occurred_us, int64_t aware_min_us,
		    int64_t new_aware_us, int64_t now_us);
/* 1 when the time reported_us (a report, or any decision's
 * breach_assessed_us()) is after the deadline. */
int		 breach_report_late(int64_t aware_us, int64_t reported_us);
/*
 * The time a decision is judged late by: for a report (report 1), when the
 * regulator was first told (reported_us, or now_us when this decision
 * tells it); for a decision not to report, when the breach was first
 * assessed (decided_us, the register's first decision, or now_us when
 * this is the first).
 */
int64_t		 breach_assessed_us(int report, int64_t reported_us, int64_t decided_us,
		    int64_t now_us);
/*
 * An amendment that corrects the awareness time to new_aware_us (0: not
 * corrected) on a breach whose earliest awareness so far is aware_min_us,
 * first decided at decided_us and reported to the regulator at
 * reported_us (0: none). The deadline runs from the earliest awareness
 * ever recorded, so an earlier awareness can make an assessment or a
 * report that was in time late. Returns NULL when the amendment may be
 * recorded, or "delay_reason_required" when it makes either late and gives
 * no delay_reason (UK GDPR Art 33(1)).
 */
const char	*breach_check_amendment(int64_t aware_min_us, int64_t new_aware_us,
		    int64_t decided_us, int64_t reported_us, const char *delay_reason);

/* 1 when the people are to be told (notify: the latest decision says so,
 * first said at notify_since_us) and no notice is recorded (notified 0)
 * more than BREACH_NOTIFY_DELAY_US later; else 0. */
int		 breach_notify_overdue(int notify, int64_t notify_since_us, int notified,
		    int64_t now_us);
/* A notice that the people were told at notified_us, of a breach the
 * charity became aware of at aware_min_us (the earliest recorded): NULL
 * when acceptable, else "notified_before_aware" or "notified_in_future". */
const char	*breach_check_notice(int64_t aware_min_us, int64_t notified_us, int64_t now_us);
/* "letter", "email", "phone", "in_person", "public_notice", "other". */
int		 breach_is_notice_method(const char *);

/* Art 34(3): "measures_render_unintelligible" (a: e.g. encrypted),
 * "subsequent_measures" (b: the high risk is no longer likely),
 * "disproportionate_effort" (c: a public communication instead). */
int		 breach_is_art34_exception(const char *);
/* "confidentiality", "integrity", "availability". */
int		 breach_is_type(const char *);

#endif
