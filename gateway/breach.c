/*
 * breach.c: the breach register's rules (see breach.h for the list and the
 * articles they come from). Pure: string.h only (and decide_has_text(),
 * pure too, the one test of blank text), so every rule is a unit test and
 * the HTTP layer (breach_api.c) only asks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "breach.h"
#include "decide.h"

int64_t
breach_deadline_us(int64_t aware_us)
{
	return aware_us + BREACH_DEADLINE_US;
}

int
breach_overdue(int64_t aware_us, int decided, int64_t now_us)
{
	return !decided && now_us > breach_deadline_us(aware_us);
}

int
breach_notify_overdue(int notify, int64_t notify_since_us, int notified, int64_t now_us)
{
	return notify && !notified && now_us > notify_since_us + BREACH_NOTIFY_DELAY_US;
}

const char *
breach_check_notice(int64_t aware_min_us, int64_t notified_us, int64_t now_us)
{
	if (notified_us < aware_min_us)
		return "notified_before_aware";
	if (notified_us > now_us)
		return "notified_in_future";
	return NULL;
}

int
breach_is_notice_method(const char *s)
{
	static const char *const methods[] = {
		"letter", "email", "phone", "in_person", "public_notice", "other"
	};
	size_t	i;

	for (i = 0; s != NULL && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i]) == 0)
			return 1;
	return 0;
}

int
breach_report_late(int64_t aware_us, int64_t reported_us)
{
	return reported_us > breach_deadline_us(aware_us);
}

int64_t
breach_assessed_us(int report, int64_t reported_us, int64_t decided_us, int64_t now_us)
{
	if (report)
		return reported_us != 0 ? reported_us : now_us;
	return decided_us != 0 ? decided_us : now_us;
}

/* 1 when the time at_us (0: none) was in time for aware_min_us and is late
 * for new_aware_us. */
static int
made_late(int64_t aware_min_us, int64_t new_aware_us, int64_t at_us)
{
	return at_us != 0 && !breach_report_late(aware_min_us, at_us) &&
	    breach_report_late(new_aware_us, at_us);
}

const char *
breach_check_amendment(int64_t aware_min_us, int64_t new_aware_us, int64_t decided_us,
    int64_t reported_us, const char *delay_reason)
{
	if (new_aware_us == 0 || new_aware_us >= aware_min_us || decide_has_text(delay_reason))
		return NULL;
	if (made_late(aware_min_us, new_aware_us, decided_us) ||
	    made_late(aware_min_us, new_aware_us, reported_us))
		return "delay_reason_required";
	return NULL;
}

const char *
breach_check_facts(int64_t occurred_us, int64_t aware_us, int64_t now_us)
{
	if (occurred_us != 0 && aware_us < occurred_us)
		return "aware_before_occurred";
	if (aware_us > now_us || occurred_us > now_us)
		return "aware_in_future";
	return NULL;
}

static const char *
fail(const char *code, const char *msg, const char **message)
{
	if (message != NULL)
		*message = msg;
	return code;
}

const char *
breach_check_decision(const struct breach_decision *d, int64_t aware_us,
    int64_t reported_us, int64_t decided_us, int64_t now_us, const char **message)
{
	int64_t	at;

	if (!decide_has_text(d->regulator_reason) || !decide_has_text(d->individuals_reason))
		return fail("reasons_required",
		    "A decision must give its reasons for reporting or not, and for telling "
		    "the people affected or not.", message);
	if (d->high_risk && !d->report_to_regulator)
		return fail("report_required",
		    "A high-risk breach must be reported to the regulator (UK GDPR Art 33(1)); "
		    "only a breach unlikely to result in a risk may go unreported.", message);
	/*
	 * A report is made now, unless an earlier decision made it; a decision
	 * not to report is the assessment Art 33(1) asks for within the same
	 * 72 hours, made by the register's first decision (or by this one).
	 * Either, late, gives the reasons for the delay.
	 */
	at = breach_assessed_us(d->report_to_regulator, reported_us, decided_us, now_us);
	if (breach_report_late(aware_us, at) && !decide_has_text(d->delay_reason))
		return fail("delay_reason_required", d->report_to_regulator ?
		    "A report made more than 72 hours after awareness must give the "
		    "reasons for the delay (UK GDPR Art 33(1))." :
		    "A breach first assessed more than 72 hours after awareness must give "
		    "the reasons for the delay, even when it is not reported (UK GDPR "
		    "Art 33(1) and (5)).", message);
	if (d->high_risk && !d->notify_individuals &&
	    !breach_is_art34_exception(d->art34_exception))
		return fail("art34_exception_required",
		    "Not telling the people affected by a high-risk breach needs one of the "
		    "Art 34(3) exceptions.", message);
	if (message != NULL)
		*message = NULL;
	return NULL;
}

const char *
breach_check_revision(const struct breach_decision *d, int64_t reported_us,
    int notify_before, const char **message)
{
	if (reported_us != 0 && !d->report_to_regulator)
		return fail("breach_already_reported",
		    "The breach has been reported to the regulator: a report cannot be undone, "
		    "so a later decision reports it too.", message);
	/*
	 * Once it was decided to tell the people, deciding not to is a
	 * withdrawal (Appendix 2: individuals informed without undue delay):
	 * it names the Art 34(3) ground relied on, e.g. the lost data was
	 * encrypted after all or the risk has been removed, and the
	 * individuals_reason says why; a re-assessed lower risk alone is no
	 * ground, or a breach could be talked out of its notice.
	 */
	if (notify_before && !d->notify_individuals &&
	    !breach_is_art34_exception(d->art34_exception))
		return fail("art34_exception_required",
		    "It was decided to tell the people affected: not telling them now needs "
		    "the Art 34(3) exception relied on.", message);
	if (message != NULL)
		*message = NULL;
	return NULL;
}

const char *
breach_check_amended_facts(int64_t occurred_us, int64_t aware_min_us, int64_t new_aware_us,
    int64_t now_us)
{
	const char	*why;
	int64_t		 earliest = aware_min_us;

	if (new_aware_us != 0) {
		if ((why = breach_check_facts(occurred_us, new_aware_us, now_us)) != NULL)
			return why;
		if (new_aware_us < earliest)
			earliest = new_aware_us;
	}
	return breach_check_facts(occurred_us, earliest, now_us);
}

int
breach_is_art34_exception(const char *s)
{
	return s != NULL && (strcmp(s, "measures_render_unintelligible") == 0 ||
	    strcmp(s, "subsequent_measures") == 0 ||
	    strcmp(s, "disproportionate_effort") == 0);
}

int
breach_is_type(const char *s)
{
	return s != NULL && (strcmp(s, "confidentiality") == 0 ||
	    strcmp(s, "integrity") == 0 || strcmp(s, "availability") == 0);
}
