/* engine-container-validate.c - Docker's checks on the policies of a create.
 *
 * The restart policy, the health check, the log driver and its options and
 * the stop signal do not end up in the OCI spec (the monitor applies them),
 * but a bad one must fail the create with Docker's own words, before
 * anything is made. Only checking happens here; engine-container.c stores
 * the body and the monitor interprets it. Called by engine_spec_build. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine-spec.h"

/* Go's time.Millisecond in nanoseconds: Docker's MinimumDuration. */
#define MIN_DURATION_NS 1000000LL

int engine_signal_parse(const char *s, int *ret)
{
	int sig = berth_signal_parse(s);
	if (sig < 0)
		return -EINVAL;
	*ret = sig;
	return 0;
}

static int validate_restart(json_t *host, struct berth_error **err)
{
	json_t *rp = json_object_get(host, "RestartPolicy");
	const char *name = spec_str(rp, "Name");
	int64_t max = spec_int(rp, "MaximumRetryCount");
	if (!name || !*name)
		return 0; /* Docker before 25.0 sent "" for "no" */
	if (strcmp(name, "on-failure") == 0) {
		if (max < 0)
			return berth_error_set(err, EINVAL,
					       "invalid restart policy: maximum retry "
					       "count cannot be negative");
	} else if (strcmp(name, "no") == 0 || strcmp(name, "always") == 0 ||
		   strcmp(name, "unless-stopped") == 0) {
		if (max != 0)
			return berth_error_set(err, EINVAL,
					       "invalid restart policy: maximum retry count can "
					       "only be used with 'on-failure'%s",
					       max < 0 ? " and cannot be negative" : "");
	} else {
		return berth_error_set(err, EINVAL,
				       "invalid restart policy: unknown policy '%s'; use one of "
				       "'no', 'always', 'on-failure', or 'unless-stopped'",
				       name);
	}
	if (spec_bool(host, "AutoRemove") && strcmp(name, "no") != 0)
		return berth_error_set(err, EINVAL,
				       "can't create 'AutoRemove' container with restart policy");
	return 0;
}

static int validate_health(json_t *body, struct berth_error **err)
{
	static const char *const durations[] = {"Interval", "Timeout", "StartPeriod",
						"StartInterval"};
	json_t *hc = json_object_get(body, "Healthcheck");
	if (!json_is_object(hc))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		int64_t d = spec_int(hc, durations[i]);
		if (d != 0 && d < MIN_DURATION_NS)
			return berth_error_set(
			    err, EINVAL, "%s in Healthcheck cannot be less than 1ms", durations[i]);
	}
	if (spec_int(hc, "Retries") < 0)
		return berth_error_set(err, EINVAL, "Retries in Healthcheck cannot be negative");
	return 0;
}

/* Docker's RAMInBytes: "100", "1k", "10m", "1.5g", "10mb", "2GiB" (binary
 * units). -1 when it does not parse. */
static int64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !isdigit((unsigned char)s[0]) || v < 0)
		return -1;
	if (*end == ' ')
		end++;
	static const char units[] = "kmgtp";
	double mult = 1;
	if (*end) {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return -1;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		end++;
		if (tolower((unsigned char)*end) == 'i')
			end++;
		if (tolower((unsigned char)*end) == 'b')
			end++;
	}
	if (*end || v * mult > (double)INT64_MAX)
		return -1;
	return (int64_t)(v * mult);
}

static int validate_log_opt(const char *driver, const char *key, const char *value,
			    struct berth_error **err)
{
	static const char *const known[] = {"max-size",	    "max-file", "compress",  "labels",
					    "labels-regex", "env",	"env-regex", "tag"};
	bool ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		ok = ok || strcmp(known[i], key) == 0;
	if (!ok || strcmp(driver, "none") == 0)
		return berth_error_set(err, EINVAL, "unknown log opt '%s' for %s log driver", key,
				       driver);
	if (strcmp(key, "max-size") == 0) {
		int64_t n = parse_size(value);
		if (n < 0)
			return berth_error_set(err, EINVAL, "invalid size: '%s'", value);
		if (n == 0)
			return berth_error_set(err, EINVAL, "max-size must be a positive number");
	}
	if (strcmp(key, "max-file") == 0) {
		char *end;
		long n = strtol(value, &end, 10);
		if (!*value || *end)
			return berth_error_set(
			    err, EINVAL, "strconv.Atoi: parsing \"%s\": invalid syntax", value);
		if (n < 1)
			return berth_error_set(err, EINVAL, "max-file cannot be less than 1");
	}
	if (strcmp(key, "compress") == 0 && strcmp(value, "true") != 0 &&
	    strcmp(value, "false") != 0 && strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
		return berth_error_set(err, EINVAL, "error reading compress log option: '%s'",
				       value);
	return 0;
}

static int validate_log(json_t *host, struct berth_error **err)
{
	json_t *lc = json_object_get(host, "LogConfig");
	const char *type = spec_str(lc, "Type");
	if (!type || !*type)
		type = "json-file";
	if (strcmp(type, "json-file") != 0 && strcmp(type, "none") != 0)
		return berth_error_set(err, EINVAL,
				       "logger: no log driver named '%s' is registered", type);
	const char *key;
	json_t *v;
	json_t *opts = json_object_get(lc, "Config");
	json_object_foreach(opts, key, v)
	{
		int r =
		    validate_log_opt(type, key, json_is_string(v) ? json_string_value(v) : "", err);
		if (r < 0)
			return r;
	}
	return 0;
}

int spec_validate_policies(json_t *body, json_t *host, struct berth_error **err)
{
	const char *sig = spec_str(body, "StopSignal");
	int n, r;
	if (sig && *sig && engine_signal_parse(sig, &n) < 0)
		return berth_error_set(err, EINVAL, "Invalid signal: %s", sig);
	if ((r = validate_restart(host, err)) < 0 || (r = validate_health(body, err)) < 0 ||
	    (r = validate_log(host, err)) < 0)
		return r;
	return 0;
}
