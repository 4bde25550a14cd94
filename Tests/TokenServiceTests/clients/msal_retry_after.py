#!/usr/bin/env python3
"""Drive Microsoft's msal through a running `exomock serve` whose scenario has two token faults on
client_credentials (Tests/TokenServiceTests/TokenFaultClientTests.swift writes it):
  f1: http_status 503 with Retry-After: 2, once;   f2: throttle (429) with Retry-After: 2, once, after one request.

msal (ThrottledHttpClient) keeps a 429/5xx answer for its Retry-After seconds and answers the same request
from memory meanwhile. For each fault the driver asks three times: at once (the server's error), at once again
(msal's remembered error: the server must not see this request), and after Retry-After has passed (a token).
What the handler sees: on the 503, msal raises MsalServiceError("HTTP Error: 503"); on the 429 (Microsoft's
plain-text `Too Many Requests` body), msal 1.x raises json's JSONDecodeError.
The Swift test counts the requests the server saw in the journal.

Usage: msal_retry_after.py --ready-file ready.json --cloud gcc-high --tenant T --client-id APP --client-secret S
                           --scope https://outlook.office365.us/.default
Prints one JSON object per case and a summary; exits 0 only when every case passed.
"""
import argparse
import faulthandler
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from msal_flows import HTTP_TIMEOUT, RESULTS, msal, record  # noqa: E402

RETRY_AFTER = 2


def app(args, ready):
    cloud = next(c for c in ready["clouds"] if c["name"] == args.cloud)
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    return msal.ConfidentialClientApplication(
        args.client_id, client_credential=args.client_secret,
        authority=f"{cloud['authority_url'].rstrip('/')}/{args.tenant}", instance_discovery=False,
        verify=ready["ca_file"], timeout=HTTP_TIMEOUT)


def acquire(client, scope):
    """What the handler gets: msal's result, or the exception msal raises (a 5xx is MsalServiceError; Microsoft's
    plain-text `Too Many Requests` 429 body is not JSON, and msal 1.x lets json's JSONDecodeError through)."""
    try:
        return client.acquire_token_for_client([scope])
    except (msal.exceptions.MsalServiceError, ValueError) as error:
        return {"error": f"raised {type(error).__name__}: {str(error)[:80]}"}


def three_tries(name, client, scope, want_status_error):
    first = acquire(client, scope)
    record(f"{name}.first_is_the_error", "access_token" not in first and want_status_error(first),
           json.dumps({k: first.get(k) for k in ("error", "error_description") if k in first})[:300])
    started = time.monotonic()
    again = acquire(client, scope)
    record(f"{name}.again_at_once_is_remembered", "access_token" not in again and again.get("error") == first.get("error"),
           json.dumps({k: again.get(k) for k in ("error",) if k in again}))
    time.sleep(max(0.0, RETRY_AFTER + 0.3 - (time.monotonic() - started)))
    later = acquire(client, scope)
    record(f"{name}.after_retry_after_succeeds", "access_token" in later,
           json.dumps({k: later.get(k) for k in ("error", "error_description") if k in later})[:300])


def main():
    parser = argparse.ArgumentParser()
    for name in ("ready-file", "cloud", "tenant", "client-id", "client-secret", "scope"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--deadline", type=float, default=40)
    args = parser.parse_args()
    faulthandler.dump_traceback_later(args.deadline, exit=True)
    with open(args.ready_file) as f:
        ready = json.load(f)

    # 503 with Retry-After and Microsoft's JSON error body: msal raises MsalServiceError("HTTP Error: 503").
    three_tries("http_status_503", app(args, ready), args.scope,
                lambda r: r.get("error") == "raised MsalServiceError: HTTP Error: 503")
    # 429: a new application (msal caches the token it got), the throttle fault's turn.
    three_tries("throttle_429", app(args, ready), args.scope,
                lambda r: r.get("error", "").startswith("raised JSONDecodeError"))

    failed = [r["case"] for r in RESULTS if not r["ok"]]
    print(json.dumps({"summary": True, "cases": len(RESULTS), "failed": failed}), flush=True)
    sys.exit(0 if not failed else 1)


if __name__ == "__main__":
    main()
