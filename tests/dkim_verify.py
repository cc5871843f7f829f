#!/usr/bin/env python3
"""Verifies a message's DKIM signature with dkimpy, for tests/api/dkim_metrics.rs.

Usage: dkim_verify.py MESSAGE_FILE DNS_NAME TXT_RECORD

The key is not looked up in DNS: the one TXT record given answers for
DNS_NAME (SELECTOR._domainkey.DOMAIN), and any other name has no record.
Prints one JSON line, {"verified": bool, "signatures": n, "tags": {...}},
the tags being those of the first DKIM-Signature as dkimpy parses them.
Exits 0 when the signature verifies, 1 when it doesn't, 2 on bad usage.
dkimpy's reasons for a failure go to standard error.
"""

import json
import logging
import sys

try:
    import dkim
    from dkim.util import parse_tag_value
except ImportError:
    sys.exit("dkimpy is missing: python3 -m pip install 'dkimpy[ed25519]'")


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, name, record = sys.argv[1:]
    with open(path, "rb") as f:
        message = f.read()

    def dnsfunc(qname, timeout=5):
        asked = qname.decode() if isinstance(qname, bytes) else qname
        if asked.rstrip(".").lower() == name.rstrip(".").lower():
            return record.encode()
        return None

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
    d = dkim.DKIM(message, logger=logging.getLogger("dkim"))
    signatures = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    try:
        verified = bool(signatures) and d.verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        # A broken body hash or a malformed signature: not verified.
        print(f"dkim_verify: {e}", file=sys.stderr)
        verified = False
    tags = {}
    if signatures:
        parsed = parse_tag_value(signatures[0])
        tags = {k.decode(): v.decode() for k, v in parsed.items()}
    print(json.dumps({"verified": verified, "signatures": len(signatures), "tags": tags}))
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
