#!/usr/bin/env python3
"""A loopback fake of the three SMS gateways hotspotd speaks, for tests and manual trials.

Provider endpoints (shapes from /work/shared/specs/sms-gateways.md):
  POST /version1/messaging                          Africa's Talking (form; apiKey header)
  POST /2010-04-01/Accounts/<sid>/Messages.json     Twilio (form; HTTP Basic sid:token)
  POST /webhook                                     generic webhook (JSON {"to","message"})

Requests are checked as the real services would: Africa's Talking wants the `apiKey` header
equal to --at-key and a `username` field (else 401 "The supplied authentication is invalid"),
and answers XML unless `Accept: application/json`; Twilio wants Basic auth equal to
--twilio-sid/--twilio-token and the same SID in the path (else 401, code 20003); the webhook
wants `Authorization: Bearer <--webhook-token>` when that option is given (else 401).
Missing fields answer 400 as the real APIs do.

Control API (for tests):
  GET  /_fake/messages   every provider request received, oldest first: {"provider",
                         "path", "headers" (names lower-cased), "auth" (decoded Basic
                         "user:pass", or the bearer token, or null), "fields" (form or
                         JSON body), "to", "message", "answered" (the status sent back)}
  POST /_fake/plan       JSON, merged into the plan (until /_fake/reset):
                           {"fail_next": N, "fail_status": 500, "fail_body": "..."}
                             the next N provider requests answer fail_status
                           {"recipient_status": 403}   Africa's Talking statusCode
                           {"at_empty_message": "InvalidSenderId"}  AT answers no recipients
                           {"twilio_error": 21211}     Twilio error body (HTTP per code)
                           {"twilio_status": "failed"} Twilio 201 with this status
                           {"webhook_status": 200, "webhook_body": "..."}
                           {"delay_secs": 3}           sleep before every provider answer
  GET  /_fake/plan       the current plan
  POST /_fake/reset      forget messages and plan

Usage: fake-sms.py [--bind 127.0.0.1] [--port 0] [--at-key K] [--twilio-sid S
       --twilio-token T] [--webhook-token W] [--parent-stdin]
Prints "listening on ADDR:PORT" once ready (port 0 picks a free one). Stops on SIGTERM or
SIGINT, and with --parent-stdin also when its stdin closes (the test that started it died).
Standard library only.
"""

import argparse
import base64
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

AT_STATUS_NAMES = {
    100: "Processed", 101: "Success", 102: "Queued", 401: "RiskHold", 402: "InvalidSenderId",
    403: "InvalidPhoneNumber", 404: "UnsupportedNumberType", 405: "InsufficientBalance",
    406: "UserInBlacklist", 407: "CouldNotRoute", 409: "DoNotDisturbRejection",
    500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway",
}

TWILIO_ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
    21602: (400, "Message body is required."),
    21603: (400, "The 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (400, "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}

TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


class State:
    """Everything received and the scripted behaviour, shared by the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.plan = {}
        self.counter = 0

    def reset(self):
        with self.lock:
            self.messages = []
            self.plan = {}

    def take_failure(self):
        """(status, body) when a scripted failure is due, consuming one; else None."""
        with self.lock:
            left = int(self.plan.get("fail_next", 0))
            if left <= 0:
                return None
            self.plan["fail_next"] = left - 1
            status = int(self.plan.get("fail_status", 500))
            return status, self.plan.get("fail_body", "fake failure %d" % status)

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-sms/1"
    protocol_version = "HTTP/1.1"

    # -- plumbing -------------------------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.options.verbose:
            sys.stderr.write("fake-sms: " + (fmt % args) + "\n")

    @property
    def state(self):
        return self.server.state

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, provider, auth, fields, to, message):
        record = {
            "provider": provider,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "auth": auth,
            "fields": fields,
            "to": to,
            "message": message,
            "answered": None,
        }
        with self.state.lock:
            self.state.messages.append(record)
        return record

    def _answer(self, record, status, body, content_type="application/json"):
        record["answered"] = status
        self._send(status, body, content_type)

    def _plan(self, key, default=None):
        with self.state.lock:
            return self.state.plan.get(key, default)

    def _delay(self):
        delay = float(self._plan("delay_secs", 0) or 0)
        if delay > 0:
            time.sleep(delay)

    # -- routing --------------------------------------------------------------------------

    def do_GET(self):
        if self.path == "/_fake/messages":
            with self.state.lock:
                self._send(200, list(self.state.messages))
        elif self.path == "/_fake/plan":
            with self.state.lock:
                self._send(200, dict(self.state.plan))
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        if path == "/_fake/plan":
            try:
                plan = json.loads(body or b"{}")
                if not isinstance(plan, dict):
                    raise ValueError("the plan must be a JSON object")
            except ValueError as e:
                self._send(400, {"error": str(e)})
                return
            with self.state.lock:
                self.state.plan.update(plan)
                self._send(200, dict(self.state.plan))
        elif path == "/_fake/reset":
            self.state.reset()
            self._send(200, {"ok": True})
        elif path == "/version1/messaging":
            self._africastalking(body)
        elif TWILIO_PATH.match(path):
            self._twilio(TWILIO_PATH.match(path).group(1), body)
        elif path == "/webhook":
            self._webhook(body)
        else:
            self._send(404, {"error": "no such endpoint: " + path})

    # -- Africa's Talking -----------------------------------------------------------------

    def _africastalking(self, body):
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        record = self._record("africastalking", self.headers.get("apiKey"), fields, fields.get("to"), fields.get("message"))
        self._delay()
        key = self.headers.get("apiKey")
        if not key or (self.server.options.at_key is not None and key != self.server.options.at_key) or not fields.get("username"):
            self._answer(record, 401, "The supplied authentication is invalid", "text/plain")
            return
        failure = self.state.take_failure()
        if failure:
            self._answer(record, failure[0], failure[1], "text/plain")
            return
        if not fields.get("to"):
            self._answer(record, 400, "Must have to set", "text/plain")
            return
        if not fields.get("message"):
            self._answer(record, 400, "Must have message set", "text/plain")
            return
        empty = self._plan("at_empty_message")
        code = int(self._plan("recipient_status", 101))
        recipients = []
        if not empty:
            for number in fields["to"].split(","):
                ok = code in (100, 101, 102)
                recipients.append({
                    "statusCode": code,
                    "number": number.strip(),
                    "status": AT_STATUS_NAMES.get(code, "Failed"),
                    "cost": "KES 0.8000" if ok else "0",
                    "messageId": "ATPid_fake%d" % self.state.next_id() if ok else "None",
                })
        sent = sum(1 for r in recipients if r["statusCode"] in (100, 101, 102))
        message = empty or "Sent to %d/%d Total Cost: KES %.4f" % (sent, len(recipients), 0.8 * sent)
        if "application/json" not in (self.headers.get("Accept") or ""):
            # The real API answers XML unless asked for JSON.
            xml = "<AfricasTalkingResponse><SMSMessageData><Message>%s</Message></SMSMessageData></AfricasTalkingResponse>" % message
            self._answer(record, 201, xml, "application/xml")
            return
        self._answer(record, 201, {"SMSMessageData": {"Message": message, "Recipients": recipients}})

    # -- Twilio ---------------------------------------------------------------------------

    def _twilio_error(self, record, code):
        status, text = TWILIO_ERRORS.get(code, (400, "Fake error %d" % code))
        self._answer(record, status, {
            "code": code, "message": text, "more_info": "https://www.twilio.com/docs/errors/%d" % code, "status": status,
        })

    def _twilio(self, sid, body):
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        auth = None
        header = self.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            try:
                auth = base64.b64decode(header[6:].strip(), validate=True).decode()
            except ValueError:
                auth = "(undecodable)"
        record = self._record("twilio", auth, fields, fields.get("To"), fields.get("Body"))
        self._delay()
        opts = self.server.options
        expected = None if opts.twilio_sid is None else "%s:%s" % (opts.twilio_sid, opts.twilio_token or "")
        if auth is None or (expected is not None and (auth != expected or sid != opts.twilio_sid)):
            self._twilio_error(record, 20003)
            return
        failure = self.state.take_failure()
        if failure:
            code = 20429 if failure[0] == 429 else 20500
            self._answer(record, failure[0], {"code": code, "message": failure[1], "status": failure[0]})
            return
        if not fields.get("To"):
            self._twilio_error(record, 21604)
            return
        if not fields.get("Body"):
            self._twilio_error(record, 21602)
            return
        if not fields.get("From") and not fields.get("MessagingServiceSid"):
            self._twilio_error(record, 21603)
            return
        if not re.match(r"^\+[1-9][0-9]{6,14}$", fields["To"]):
            self._twilio_error(record, 21211)
            return
        planned = self._plan("twilio_error")
        if planned:
            self._twilio_error(record, int(planned))
            return
        status = self._plan("twilio_status", "queued")
        failed = status in ("failed", "undelivered")
        self._answer(record, 201, {
            "sid": "SM%032x" % self.state.next_id(),
            "account_sid": sid,
            "to": fields["To"],
            "from": fields.get("From"),
            "messaging_service_sid": fields.get("MessagingServiceSid"),
            "body": fields["Body"],
            "status": status,
            "num_segments": "1",
            "error_code": 30006 if failed else None,
            "error_message": "Landline or unreachable carrier" if failed else None,
            "price": None,
        })

    # -- webhook --------------------------------------------------------------------------

    def _webhook(self, body):
        header = self.headers.get("Authorization") or ""
        bearer = header[7:] if header.startswith("Bearer ") else None
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        fields = payload if isinstance(payload, dict) else None
        record = self._record("webhook", bearer, fields, (fields or {}).get("to"), (fields or {}).get("message"))
        self._delay()
        token = self.server.options.webhook_token
        if token is not None and bearer != token:
            self._answer(record, 401, {"error": "unauthorized"})
            return
        failure = self.state.take_failure()
        if failure:
            self._answer(record, failure[0], {"error": failure[1]})
            return
        if fields is None or not isinstance(fields.get("to"), str) or not isinstance(fields.get("message"), str):
            self._answer(record, 400, {"error": "expected JSON {\"to\": string, \"message\": string}"})
            return
        status = int(self._plan("webhook_status", 200))
        answer = self._plan("webhook_body")
        if answer is None:
            answer = {"ok": True, "id": "wh_%d" % self.state.next_id()} if status < 300 else {"error": "planned %d" % status}
        self._answer(record, status, answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--at-key", help="the Africa's Talking apiKey to accept (default: any)")
    parser.add_argument("--twilio-sid", help="the Twilio account SID to accept (default: any)")
    parser.add_argument("--twilio-token", help="the Twilio auth token to accept")
    parser.add_argument("--webhook-token", help="the bearer token the webhook requires (default: none)")
    parser.add_argument("--parent-stdin", action="store_true", help="exit when stdin closes")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    options = parser.parse_args()

    server = ThreadingHTTPServer((options.bind, options.port), Handler)
    server.daemon_threads = True
    server.state = State()
    server.options = options

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if options.parent_stdin:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()

    host, port = server.server_address[:2]
    print("listening on %s:%d" % (host, port), flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
