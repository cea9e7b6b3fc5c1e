#!/usr/bin/env python3
"""Python's `cryptography.fernet` against this project's Fernet (src/platform/fernet.ts).

  python3 scripts/fernet-interop.py FILE.json   verify tokens our implementation wrote
                                               (e.g. test/fixtures/fernet/ours-tokens.json)
  python3 scripts/fernet-interop.py --stdin    protocol used by scripts/fernet-interop.ts:
      reads {"keys": {...}, "tokens": [{key, plaintext, token}], "encrypt": [{key, plaintext}]}
      and prints {"checked": n, "failures": [...], "tokens": [{key, plaintext, token}]}

Exit code 1 when any token fails to decrypt to its plaintext."""
import json
import sys

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def fernet_for(keys, name):
    # "a,b" names a MultiFernet, as ENCRYPTION_KEY does: encrypt with the first, decrypt with any.
    names = name.split(",")
    if len(names) == 1:
        return Fernet(keys[names[0]])
    return MultiFernet([Fernet(keys[n]) for n in names])


def verify(doc):
    failures = []
    for entry in doc.get("tokens", []):
        try:
            plain = fernet_for(doc["keys"], entry["key"]).decrypt(entry["token"].encode()).decode("utf-8")
            if plain != entry["plaintext"]:
                failures.append({"token": entry["token"][:16], "problem": "decrypted to a different plaintext"})
        except InvalidToken:
            failures.append({"token": entry["token"][:16], "problem": "InvalidToken"})
    return failures


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--stdin":
        doc = json.load(sys.stdin)
        failures = verify(doc)
        made = [
            {**item, "token": fernet_for(doc["keys"], item["key"]).encrypt(item["plaintext"].encode()).decode()}
            for item in doc.get("encrypt", [])
        ]
        json.dump({"checked": len(doc.get("tokens", [])), "failures": failures, "tokens": made}, sys.stdout)
        sys.exit(1 if failures else 0)
    if len(sys.argv) == 2:
        with open(sys.argv[1], encoding="utf-8") as f:
            doc = json.load(f)
        failures = verify(doc)
        print(f"python cryptography.fernet: {len(doc['tokens']) - len(failures)}/{len(doc['tokens'])} tokens from {sys.argv[1]} decrypted")
        for failure in failures:
            print(f"  FAILED {failure}")
        sys.exit(1 if failures else 0)
    print(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main()
