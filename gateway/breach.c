/*
 * breach.c: the breach register's rules (see breach.h for the list and the
 * articles they come from). Pure: string.h only, so every rule is a unit
 * test and the HTTP layer (breach_api.c) only asks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "breach.h"

static int
given(const char *s)
{
	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 1;
	return 0;
}

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
breach_report_late(int64_t aware_us, int64_t reported_us)
{
	return reported_us > breach_deadline_us(aware_us);
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
    int64_t reported_us, int64_t now_us, const char **message)
{
	int64_t	report_at;

	if (d->risk == BREACH_RISK_INVALID)
		return fail("risk_invalid",
		    "The risk must be one of unlikely, risk or high.", message);
	if (!given(d->regulator_reasons))
		return fail("reasons_required",
		    "A decision must give its reasons for reporting or not reporting.", message);
	if (d->risk != BREACH_RISK_UNLIKELY && !d->report_to_regulator)
		return fail("report_required",
		    "A breach likely to result in a risk must be reported to the regulator "
		    "(UK GDPR Art 33(1)); only an unlikely risk may go unreported.", message);
	if (d->report_to_regulator) {
		/* The report is made now, unless an earlier decision made it. */
		report_at = reported_us != 0 ? reported_us : now_us;
		if (breach_report_late(aware_us, report_at) && !given(d->delay_reason))
			return fail("delay_reason_required",
			    "A report made more than 72 hours after awareness must give the "
			    "reasons for the delay (UK GDPR Art 33(1)).", message);
	}
	if (d->risk == BREACH_RISK_HIGH && !d->notify_individuals &&
	    (!breach_is_art34_exception(d->art34_exception) || !given(d->art34_reason)))
		return fail("art34_exception_required",
		    "Not telling the people affected by a high-risk breach needs an "
		    "Art 34(3) exception and its reason.", message);
	if (message != NULL)
		*message = NULL;
	return NULL;
}

enum breach_risk
breach_risk_from(const char *s)
{
	if (s == NULL)
		return BREACH_RISK_INVALID;
	if (strcmp(s, "unlikely") == 0)
		return BREACH_RISK_UNLIKELY;
	if (strcmp(s, "risk") == 0)
		return BREACH_RISK;
	if (strcmp(s, "high") == 0)
		return BREACH_RISK_HIGH;
	return BREACH_RISK_INVALID;
}

const char *
breach_risk_name(enum breach_risk r)
{
	switch (r) {
	case BREACH_RISK_UNLIKELY:
		return "unlikely";
	case BREACH_RISK:
		return "risk";
	case BREACH_RISK_HIGH:
		return "high";
	case BREACH_RISK_INVALID:
		break;
	}
	return "invalid";
}

int
breach_is_art34_exception(const char *s)
{
	return s != NULL && (strcmp(s, "data_unintelligible") == 0 ||
	    strcmp(s, "risk_no_longer_likely") == 0 ||
	    strcmp(s, "disproportionate_effort") == 0);
}

int
breach_is_type(const char *s)
{
	return s != NULL && (strcmp(s, "confidentiality") == 0 ||
	    strcmp(s, "integrity") == 0 || strcmp(s, "availability") == 0);
}
