#!/usr/bin/env python3
"""A loopback fake of Safaricom's Daraja API for tests (python3 standard library only).

Speaks the shapes in /work/shared/specs/mpesa-daraja.md:
  GET  /oauth/v1/generate?grant_type=client_credentials   Basic auth -> {"access_token","expires_in"}
       A new token invalidates the previous one; tokens expire after expires_in seconds.
  POST /mpesa/stkpush/v1/processrequest   Bearer; every field validated, incl.
       Password = base64(shortcode + passkey + Timestamp) and Timestamp within 10 minutes of
       now in East Africa Time -> {"CheckoutRequestID":"ws_CO_…","ResponseCode":"0",…}
  POST /mpesa/stkpushquery/v1/query       Bearer; HTTP 500 + errorCode 500.001.1001 "The
       transaction is being processed" until the prompt is resolved, then ResultCode as a string.
Errors use Daraja's body: {"requestId","errorCode","errorMessage"}. A bad or old token gets
401 + 404.001.03; bad credentials on OAuth get 400 + 400.008.01; a wrong Password gets
500 + 500.001.1001 "Wrong credentials"; an invalid field gets 400 + 400.002.02.

Control API (JSON in and out), for tests to script each payment:
  POST /_fake/plan     {"result_code": 1032, "after_queries": 2, "result_desc"?: "...",
                        "count"?: 1, "default"?: false}
                       How the next `count` pushes resolve: their first `after_queries`
                       queries answer "being processed", the next ones the result.
                       "after_queries": null = pending until /_fake/callback or /_fake/resolve.
                       "default": true sets what pushes without a plan do (initially: pending).
  POST /_fake/resolve  {"checkout_request_id": "...", "result_code": 0, "result_desc"?: "..."}
  POST /_fake/fail     {"status": 500, "count": 2, "error_code"?, "error_message"?,
                        "only"?: "oauth"|"push"|"query"}   the next N API calls fail so.
  POST /_fake/down     {"down": true, "hang"?: false}   API calls get their connection closed
                       unanswered (or, with hang, no answer until down is cleared; at most
                       60 s). The control API keeps working.
  POST /_fake/revoke-token                  the current token becomes invalid.
  POST /_fake/config   {"expires_in"?: 3599, "expires_in_as_string"?: true}
  GET  /_fake/pushes   [{"checkout_request_id","merchant_request_id","callback_url","request",
                         "queries","result_code","result_desc"}…] in push order.
  GET  /_fake/stats    {"token_requests","pushes","queries","api_calls"}
  POST /_fake/callback {"checkout_request_id": "...", "result_code": 0, "receipt"?: "NLJ7RT61SV",
                        "amount"?: 1, "phone"?: "254…", "result_desc"?, "transaction_date"?,
                        "resolve"?: true}
                       POSTs a spec-shaped callback to that push's CallBackURL and answers
                       {"delivered": true, "status": N, "body": "..."} (or "delivered": false,
                       "error"). Unless "resolve": false, the first callback also resolves a
                       pending prompt (so queries agree). Calling it again replays it.
  POST /_fake/c2b/pay  {"shortcode": "600638", "account": "BillRefNumber", "amount": 10,
                        "trans_id"?: "RKTQDM7W6S", "msisdn"?: "25470****149", "first_name"?: "John"}
                       A payer pays the paybill from the M-Pesa menu: the validation request
                       goes to the shortcode's registered ValidationURL (if any); unless it is
                       refused (a ResultCode other than 0, or no answer and ResponseType
                       Cancelled), the confirmation goes to its ConfirmationURL. Answers
                       {"trans_id", "validation": {status, body}|null, "confirmation": {…}|null}.
                       URLs containing mpesa/safaricom are never called (as Safaricom does).
  POST /_fake/reset    forgets pushes, plans, failures, counters, down; keeps the valid token
                       and the config.

  POST /mpesa/c2b/v1/registerurl        Bearer; {"ShortCode","ResponseType":"Completed|Cancelled",
       "ConfirmationURL","ValidationURL"} -> {"ResponseCode":"0",…}; later calls replace them.

Usage: fake-daraja.py [--bind 127.0.0.1] --port 0 --consumer-key K --consumer-secret S --shortcode 174379 --passkey P
Prints "listening on 127.0.0.1:N" once ready. Listens on loopback only.
"""

import argparse
import base64
import binascii
import datetime
import json
import re
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EAT = datetime.timezone(datetime.timedelta(hours=3))
RESULT_DESCS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    17: "Rule limited.",
    1019: "Transaction has expired",
    1025: "An error occurred while sending a push request",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
    2028: "The request is not permitted according to product assignment",
    8006: "The security credential is locked",
}
DEFAULT_ERRORS = {
    400: ("400.002.02", "Bad Request - Invalid Request"),
    401: ("404.001.03", "Invalid Access Token"),
    404: ("404.001.01", "Resource not found"),
    405: ("405.001", "Method Not Allowed"),
    429: ("500.003.02", "Spike arrest violation"),
    500: ("500.003.1001", "Internal Server Error"),
    503: ("500.003.02", "System is busy. Please try again in few minutes."),
}
PATHS = {
    "/oauth/v1/generate": "oauth",
    "/mpesa/stkpush/v1/processrequest": "push",
    "/mpesa/stkpushquery/v1/query": "query",
    "/mpesa/c2b/v1/registerurl": "register",
}


class Refused(Exception):
    """An API error answer: HTTP status and Daraja's errorCode/errorMessage."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.token = None  # (value, expires_at monotonic)
        self.expires_in = 3599
        self.expires_in_as_string = True
        self.default_plan = {"result_code": 0, "after_queries": None, "result_desc": None}
        self.changed = threading.Condition(self.lock)
        self.reset()

    def reset(self):
        self.pushes = []  # dicts, in push order
        self.by_id = {}
        self.plans = []  # pending plans, each used by one push
        self.fails = []  # [{"status","code","message","only"}]
        self.down = False
        self.hang = False
        self.counter = 0
        self.c2b = {}  # shortcode -> its registered URLs
        self.stats = {"token_requests": 0, "pushes": 0, "queries": 0, "api_calls": 0}


def eat_now():
    return datetime.datetime.now(EAT)


def error_body(code, message):
    return {"requestId": "%d-%d-1" % (secrets.randbelow(90000) + 10000, secrets.randbelow(9000000) + 1000000),
            "errorCode": code, "errorMessage": message}


def digits(value):
    """Daraja takes these as numbers or strings of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return value
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeDaraja/1"
    state = None  # set in main

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.state.args.verbose:
            sys.stderr.write("fake-daraja: " + (fmt % args) + "\n")

    # ---- plumbing -------------------------------------------------------------------------

    def send_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def read_json(self):
        raw = self.read_body()
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            return self.control(method, url.path)
        kind = PATHS.get(url.path)
        st = self.state
        with st.lock:
            down, hang = st.down, st.hang
        if down:
            if hang:
                deadline = time.monotonic() + 60
                with st.lock:
                    while st.down and time.monotonic() < deadline:
                        st.changed.wait(0.5)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if kind is None:
            self.read_body()
            return self.send_json(404, error_body("404.001.01", "Resource not found"))
        want = "GET" if kind == "oauth" else "POST"
        if method != want:
            self.read_body()
            return self.send_json(405, error_body("405.001", "Method Not Allowed"))
        body = self.read_body() if method == "POST" else b""
        try:
            with st.lock:
                st.stats["api_calls"] += 1
                self.injected_failure(kind)
                if kind == "oauth":
                    return self.send_json(200, self.oauth(url.query))
                self.check_bearer()
                request = self.api_request(body)
                if kind == "register":
                    answer = self.register(request)
                else:
                    answer = self.push(request) if kind == "push" else self.query(request)
            return self.send_json(200, answer)
        except Refused as r:
            return self.send_json(r.status, error_body(r.code, r.message))

    # ---- the API --------------------------------------------------------------------------

    def injected_failure(self, kind):
        st = self.state
        for i, fail in enumerate(st.fails):
            if fail["only"] in (None, kind):
                fail["count"] -= 1
                if fail["count"] <= 0:
                    del st.fails[i]
                raise Refused(fail["status"], fail["code"], fail["message"])

    def oauth(self, query):
        st, args = self.state, self.state.args
        st.stats["token_requests"] += 1
        if parse_qs(query).get("grant_type") != ["client_credentials"]:
            raise Refused(400, "400.008.02", "Invalid grant type passed")
        auth = self.headers.get("Authorization", "")
        expected = base64.b64encode(("%s:%s" % (args.consumer_key, args.consumer_secret)).encode()).decode()
        if not auth.startswith("Basic ") or not secrets.compare_digest(auth[6:].strip(), expected):
            raise Refused(400, "400.008.01", "Invalid Authentication passed")
        value = secrets.token_urlsafe(21)[:28]
        st.token = (value, time.monotonic() + st.expires_in)  # replaces (invalidates) the old one
        expires = str(st.expires_in) if st.expires_in_as_string else st.expires_in
        return {"access_token": value, "expires_in": expires}

    def check_bearer(self):
        token = self.state.token
        auth = self.headers.get("Authorization", "")
        if (token is None or not auth.startswith("Bearer ") or auth[7:].strip() != token[0]
                or time.monotonic() >= token[1]):
            raise Refused(401, "404.001.03", "Invalid Access Token")

    def api_request(self, body):
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            raise Refused(400, "400.002.05", "Invalid Request Payload")
        try:
            request = json.loads(body)
        except ValueError:
            raise Refused(400, "400.002.05", "Invalid Request Payload")
        if not isinstance(request, dict):
            raise Refused(400, "400.002.05", "Invalid Request Payload")
        return request

    def check_credentials(self, request):
        args = self.state.args
        shortcode = digits(request.get("BusinessShortCode"))
        if shortcode is None:
            raise Refused(400, "400.002.02", "Bad Request - Invalid BusinessShortCode")
        timestamp = request.get("Timestamp")
        try:
            if not (isinstance(timestamp, str) and len(timestamp) == 14 and timestamp.isdigit()):
                raise ValueError
            stamped = datetime.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=EAT)
        except ValueError:
            raise Refused(400, "400.002.02", "Bad Request - Invalid Timestamp")
        if abs((eat_now() - stamped).total_seconds()) > 600:
            raise Refused(400, "400.002.02", "Bad Request - Invalid Timestamp (not East Africa Time now)")
        password = request.get("Password")
        if not isinstance(password, str) or not password:
            raise Refused(400, "400.002.02", "Bad Request - Invalid Password")
        try:
            decoded = base64.b64decode(password, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Refused(400, "400.002.02", "Bad Request - Invalid Password")
        if shortcode != args.shortcode:
            raise Refused(500, "500.001.1001", "Merchant does not exist")
        if decoded != shortcode + args.passkey + timestamp:
            raise Refused(500, "500.001.1001", "Wrong credentials")
        return shortcode

    def push(self, request):
        st = self.state
        shortcode = self.check_credentials(request)
        ttype = request.get("TransactionType")
        if ttype not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
            raise Refused(400, "400.002.02", "Bad Request - Invalid TransactionType")
        amount = request.get("Amount")
        if isinstance(amount, str) and amount.isdigit():
            amount = int(amount)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise Refused(400, "400.002.02", "Bad Request - Invalid Amount")
        party_a, phone = digits(request.get("PartyA")), digits(request.get("PhoneNumber"))
        for name, value in (("PartyA", party_a), ("PhoneNumber", phone)):
            if value is None or not re.fullmatch(r"254[17]\d{8}", value):
                raise Refused(400, "400.002.02", "Bad Request - Invalid " + name)
        if party_a != phone:
            raise Refused(400, "400.002.02", "Bad Request - Invalid PartyA (not the PhoneNumber)")
        party_b = digits(request.get("PartyB"))
        if party_b is None or (ttype == "CustomerPayBillOnline" and party_b != shortcode):
            raise Refused(400, "400.002.02", "Bad Request - Invalid PartyB")
        callback = request.get("CallBackURL")
        if not isinstance(callback, str) or not re.fullmatch(r"https?://[^\s]+", callback):
            raise Refused(400, "400.002.02", "Bad Request - Invalid CallBackURL")
        reference = request.get("AccountReference")
        if not isinstance(reference, str) or not re.fullmatch(r"[A-Za-z0-9]{1,12}", reference):
            raise Refused(400, "400.002.02", "Bad Request - Invalid AccountReference")
        desc = request.get("TransactionDesc", "")
        if not isinstance(desc, str) or len(desc) > 13:
            raise Refused(400, "400.002.02", "Bad Request - Invalid TransactionDesc")
        unknown = set(request) - {"BusinessShortCode", "Password", "Timestamp", "TransactionType", "Amount",
                                  "PartyA", "PartyB", "PhoneNumber", "CallBackURL", "AccountReference",
                                  "TransactionDesc"}
        if unknown:
            raise Refused(400, "400.002.02", "Bad Request - Unknown field " + sorted(unknown)[0])

        st.counter += 1
        st.stats["pushes"] += 1
        plan = dict(st.plans.pop(0) if st.plans else st.default_plan)
        checkout = "ws_CO_%s%06d" % (eat_now().strftime("%d%m%Y%H%M%S"), st.counter)
        merchant = "%d-%d-%d" % (29115, 34620561 + st.counter, 1)
        entry = {
            "checkout_request_id": checkout,
            "merchant_request_id": merchant,
            "callback_url": callback,
            "request": request,
            "queries": 0,
            "plan": plan,
            "result_code": None,
            "result_desc": None,
        }
        st.pushes.append(entry)
        st.by_id[checkout] = entry
        return {
            "MerchantRequestID": merchant,
            "CheckoutRequestID": checkout,
            "ResponseCode": "0",
            "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing",
        }

    def register(self, request):
        """C2B Register URL: remembers where the shortcode's payments are announced."""
        for field in ("ShortCode", "ResponseType", "ConfirmationURL", "ValidationURL"):
            if not isinstance(request.get(field), str) or not request[field]:
                raise Refused(400, "400.002.02", "Bad Request - Invalid %s" % field)
        if request["ResponseType"] not in ("Completed", "Cancelled"):
            raise Refused(400, "400.002.02", "Bad Request - Invalid ResponseType")
        self.state.c2b[request["ShortCode"]] = dict(request)
        return {"OriginatorCoversationID": "fake-%d" % len(self.state.c2b), "ResponseCode": "0", "ResponseDescription": "success"}

    def query(self, request):
        st = self.state
        self.check_credentials(request)
        unknown = set(request) - {"BusinessShortCode", "Password", "Timestamp", "CheckoutRequestID"}
        if unknown:
            raise Refused(400, "400.002.02", "Bad Request - Unknown field " + sorted(unknown)[0])
        entry = st.by_id.get(request.get("CheckoutRequestID"))
        if entry is None:
            raise Refused(400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")
        st.stats["queries"] += 1
        entry["queries"] += 1
        plan = entry["plan"]
        after = plan.get("after_queries")
        if entry["result_code"] is None and after is not None and entry["queries"] > after:
            resolve(entry, plan["result_code"], plan.get("result_desc"))
        if entry["result_code"] is None:
            raise Refused(500, "500.001.1001", "The transaction is being processed")
        return {
            "ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": entry["merchant_request_id"],
            "CheckoutRequestID": entry["checkout_request_id"],
            "ResultCode": str(entry["result_code"]),
            "ResultDesc": entry["result_desc"],
        }

    # ---- control --------------------------------------------------------------------------

    def control(self, method, path):
        st = self.state
        if method == "GET":
            with st.lock:
                if path == "/_fake/pushes":
                    shown = [{k: v for k, v in e.items() if k != "plan"} for e in st.pushes]
                    return self.send_json(200, shown)
                if path == "/_fake/stats":
                    return self.send_json(200, dict(st.stats))
            return self.send_json(404, {"error": "unknown control path"})
        body = self.read_json()
        if body is None:
            return self.send_json(400, {"error": "the body must be a JSON object"})
        try:
            if path == "/_fake/callback":
                return self.send_json(200, deliver_callback(st, body))
            if path == "/_fake/c2b/pay":
                return self.send_json(200, pay_paybill(st, body))
            with st.lock:
                answer = self.control_locked(path, body)
                st.changed.notify_all()
        except (KeyError, TypeError, ValueError) as e:
            return self.send_json(400, {"error": "bad control request: %r" % (e,)})
        if answer is None:
            return self.send_json(404, {"error": "unknown control path"})
        return self.send_json(200, answer)

    def control_locked(self, path, body):
        st = self.state
        if path == "/_fake/plan":
            after = body.get("after_queries", 0)
            plan = {"result_code": int(body.get("result_code", 0)),
                    "after_queries": None if after is None else int(after),
                    "result_desc": body.get("result_desc")}
            if body.get("default"):
                st.default_plan = plan
            else:
                st.plans.extend(dict(plan) for _ in range(int(body.get("count", 1))))
            return {"ok": True, "planned": len(st.plans)}
        if path == "/_fake/resolve":
            entry = st.by_id[body["checkout_request_id"]]
            resolve(entry, int(body.get("result_code", 0)), body.get("result_desc"))
            return {"ok": True}
        if path == "/_fake/fail":
            status = int(body.get("status", 500))
            code, message = DEFAULT_ERRORS.get(status, DEFAULT_ERRORS[500 if status >= 500 else 400])
            only = body.get("only")
            if only not in (None, "oauth", "push", "query"):
                raise ValueError("only must be oauth, push or query")
            st.fails.append({"status": status, "count": int(body.get("count", 1)), "only": only,
                             "code": body.get("error_code", code), "message": body.get("error_message", message)})
            return {"ok": True}
        if path == "/_fake/down":
            st.down = bool(body.get("down", True))
            st.hang = bool(body.get("hang", False))
            return {"ok": True}
        if path == "/_fake/revoke-token":
            st.token = None
            return {"ok": True}
        if path == "/_fake/config":
            if "expires_in" in body:
                st.expires_in = int(body["expires_in"])
            if "expires_in_as_string" in body:
                st.expires_in_as_string = bool(body["expires_in_as_string"])
            return {"ok": True}
        if path == "/_fake/reset":
            st.reset()
            return {"ok": True}
        return None


def resolve(entry, result_code, result_desc=None):
    entry["result_code"] = result_code
    entry["result_desc"] = result_desc or RESULT_DESCS.get(result_code, "Result %d" % result_code)


def deliver_callback(st, body):
    """POSTs a spec-shaped result callback to the push's CallBackURL (outside the lock)."""
    with st.lock:
        entry = st.by_id[body["checkout_request_id"]]
        request = entry["request"]
        result_code = int(body.get("result_code", 0))
        result_desc = body.get("result_desc") or RESULT_DESCS.get(result_code, "Result %d" % result_code)
        if body.get("resolve", True) and entry["result_code"] is None:
            resolve(entry, result_code, result_desc)
        callback_url = entry["callback_url"]
        merchant, checkout = entry["merchant_request_id"], entry["checkout_request_id"]
        amount = body.get("amount", int(request["Amount"]))
        phone = body.get("phone", int(digits(request["PhoneNumber"])))
        # Fixed at the first callback, so a replay carries the same date.
        first_date = entry.setdefault("transaction_date", int(eat_now().strftime("%Y%m%d%H%M%S")))
    stk = {"MerchantRequestID": merchant, "CheckoutRequestID": checkout,
           "ResultCode": result_code, "ResultDesc": result_desc}
    if result_code == 0:
        date = body.get("transaction_date", first_date)
        stk["CallbackMetadata"] = {"Item": [
            {"Name": "Amount", "Value": "__AMOUNT__"},
            {"Name": "MpesaReceiptNumber", "Value": body.get("receipt", "NLJ7RT61SV")},
            {"Name": "Balance"},
            {"Name": "TransactionDate", "Value": date},
            {"Name": "PhoneNumber", "Value": phone},
        ]}
    text = json.dumps({"Body": {"stkCallback": stk}})
    # Daraja writes amounts like 1.00; json.dumps cannot, so the number is spliced in.
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount_text = "%d.00" % amount
    else:
        amount_text = json.dumps(amount)
    text = text.replace('"__AMOUNT__"', amount_text)
    req = urllib.request.Request(callback_url, data=text.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as answer:
            return {"delivered": True, "status": answer.status, "body": answer.read(65536).decode("utf-8", "replace"),
                    "sent": text}
    except urllib.error.HTTPError as e:
        return {"delivered": True, "status": e.code, "body": e.read(65536).decode("utf-8", "replace"), "sent": text}
    except (urllib.error.URLError, OSError, ValueError) as e:
        return {"delivered": False, "error": str(e), "sent": text}


def post_json(url, text):
    """POSTs JSON; {"status", "body"}, or None when nothing answered (or the URL is one
    Safaricom filters out and never calls)."""
    if re.search(r"m-?pesa|safaricom", url, re.IGNORECASE):
        return None
    req = urllib.request.Request(url, data=text.encode(), method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=8) as answer:
            return {"status": answer.status, "body": answer.read(65536).decode("utf-8", "replace")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read(65536).decode("utf-8", "replace")}
    except (urllib.error.URLError, OSError, ValueError):
        return None


def pay_paybill(st, body):
    """A payer pays a paybill from the M-Pesa menu: validation, then confirmation."""
    with st.lock:
        registered = dict(st.c2b.get(str(body["shortcode"]), {}))
        st.counter += 1
        trans_id = body.get("trans_id") or "RK%08d" % st.counter
    if not registered:
        raise ValueError("no URLs registered for shortcode %s" % body["shortcode"])
    payment = {"TransactionType": "Pay Bill", "TransID": trans_id, "TransTime": eat_now().strftime("%Y%m%d%H%M%S"),
               "TransAmount": str(body["amount"]), "BusinessShortCode": str(body["shortcode"]),
               "BillRefNumber": str(body["account"]), "InvoiceNumber": "", "OrgAccountBalance": "",
               "ThirdPartyTransID": "", "MSISDN": body.get("msisdn", "25470****149"),
               "FirstName": body.get("first_name", "John"), "MiddleName": "", "LastName": "Doe"}
    text = json.dumps(payment)
    validation = post_json(registered["ValidationURL"], text)
    if validation is None:
        refused = registered["ResponseType"] == "Cancelled"
    else:
        try:
            refused = str(json.loads(validation["body"]).get("ResultCode")) != "0"
        except (ValueError, AttributeError):
            refused = registered["ResponseType"] == "Cancelled"
    confirmation = None if refused else post_json(registered["ConfirmationURL"], text)
    return {"trans_id": trans_id, "validation": validation, "confirmation": confirmation}


def main():
    parser = argparse.ArgumentParser(description="Loopback fake of Safaricom's Daraja API for tests.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (a lab namespace's address)")
    parser.add_argument("--consumer-key", required=True)
    parser.add_argument("--consumer-secret", required=True)
    parser.add_argument("--shortcode", default="174379")
    parser.add_argument("--passkey", required=True)
    parser.add_argument("--expires-in", type=int, default=3599)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    Handler.state = State(args)
    Handler.state.expires_in = args.expires_in
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    print("listening on %s:%d" % (args.bind, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
