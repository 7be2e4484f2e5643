#!/usr/bin/env python3
"""An agent in Python, standard library only, deciding through `xpol serve`.

It proposes deleting an invoice; the policy requires a human approval, so it waits for the
outcome (long-polling the approval request, no polling loop of its own), proposes again once
approved (allowed, exactly once), and reads back the receipt of that decision.

    python3 invoice_agent.py --server http://127.0.0.1:8181 [--token TOKEN] [--invoice inv-1]

Each step is printed as one JSON line. Exit 0 when the deletion was allowed and its receipt
read, 1 when it was denied or vetoed, 2 on a transport or protocol problem.
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

ACTOR = {"agent": "invoice-bot", "on_behalf_of": "acme-finance"}
CONTEXT = {"assigned_customers": ["c-1"]}


class Problem(Exception):
    """An RFC 9457 problem answered by the service (its `code` is the XP code)."""

    def __init__(self, status, body):
        super().__init__(f"{status} {body.get('code')}: {body.get('detail')}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, server, token=None):
        self.server = server.rstrip("/")
        self.token = token

    def _request(self, method, path, body=None, timeout=75):
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        if self.token:
            headers["authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                text = res.read().decode("utf-8")
                kind = res.headers.get("content-type", "")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8")
            try:
                raise Problem(e.code, json.loads(text)) from None
            except ValueError:
                raise Problem(e.code, {"detail": text}) from None
        return json.loads(text) if kind.split(";")[0].strip() == "application/json" else text

    def decide(self, tool, args):
        """POST /v1/decisions: the decision, and the args to run the tool with."""
        return self._request("POST", "/v1/decisions", {"tool": tool, "args": args, "actor": ACTOR, "context": CONTEXT})

    def wait_for(self, request_id, seconds=30):
        """Long-polls the approval request until it is no longer pending."""
        while True:
            shown = self._request("GET", f"/v1/approvals/{request_id}?wait={seconds}")
            status = shown["request"]["status"]
            if status != "pending":
                return status

    def receipt(self, seq):
        """GET /v1/receipts: the receipt line as the log holds it."""
        return json.loads(self._request("GET", f"/v1/receipts?from={seq}&to={seq}"))


def say(**fields):
    print(json.dumps(fields), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--token")
    p.add_argument("--invoice", default="inv-1")
    a = p.parse_args()
    client = Client(a.server, a.token)
    args = {"invoice_id": a.invoice, "customer_id": "c-1"}
    try:
        first = client.decide("delete_invoice", args)
        say(step="decide", effect=first["effect"], tier=first["tier"], request=first.get("request", {}).get("id"))
        decision = first
        if first["effect"] == "require_approval":
            status = client.wait_for(first["request"]["id"])
            say(step="approval", status=status)
            if status != "approved":
                return 1
            decision = client.decide("delete_invoice", args)
            say(step="decide", effect=decision["effect"], reasons=decision["reasons"])
        if decision["effect"] != "allow":
            return 1
        # run the tool with exactly the args the decision was made on
        say(step="run", tool="delete_invoice", args=decision["args"])
        receipt = client.receipt(decision["receipt"]["seq"])
        say(step="receipt", seq=receipt["seq"], kind=receipt["kind"], effect=receipt["body"]["decision"]["effect"], signer=receipt["signer"])
        return 0
    except Problem as e:
        say(step="problem", status=e.status, code=e.body.get("code"), detail=e.body.get("detail"))
        return 2
    except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
        say(step="error", error=str(e))
        return 2


if __name__ == "__main__":
    sys.exit(main())
