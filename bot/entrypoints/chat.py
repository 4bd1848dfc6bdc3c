"""A terminal chat with the running assistant, over its REST channel."""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import List, Optional

DEFAULT_URL = "http://127.0.0.1:5005/webhooks/rest/webhook"


def send(url: str, sender: str, message: str, timeout: float = 30.0,
         token: Optional[str] = None) -> list:
    payload = {"sender": sender, "message": message}
    if token:
        payload["metadata"] = {"auth": token}
    body = json.dumps(payload).encode("utf-8")
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8") or "[]")


def render(replies: list) -> str:
    lines = []
    for reply in replies:
        if reply.get("text"):
            lines.append(f"AMPER > {reply['text']}")
        for i, button in enumerate(reply.get("buttons") or [], start=1):
            lines.append(f"        [{i}] {button.get('title')}")
    return "\n".join(lines) or "AMPER > (pas de réponse)"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="amper chat", description="Discuter avec l'assistant.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=DEFAULT_URL, help="adresse du canal REST de l'assistant")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--client", help="numéro de client : discuter connecté comme ce client")
    parser.add_argument("--staff", help="identifiant du conseiller qui agit pour --client (téléphone)")


def run(args: argparse.Namespace) -> int:
    token = None
    if args.staff and not args.client:
        print("Erreur : --staff demande aussi --client (le client pour qui vous agissez).")
        return 2
    if args.client:
        from bot.chat.identity import mint_token
        from bot.entrypoints.production import chat_secret

        role = "staff" if args.staff else "client"
        token = mint_token(args.client, role=role, staff=args.staff, secret=chat_secret(),
                           ttl_seconds=8 * 3600)
        who = f"conseiller {args.staff} pour le client {args.client}" if args.staff else f"client {args.client}"
        print(f"Connecté comme {who}.")
    print("Écrivez votre message (Ctrl-D pour quitter). Un numéro choisit un bouton.")
    buttons: list = []
    while True:
        try:
            text = input("Vous > ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1].get("payload") or text
        try:
            replies = send(args.url, args.sender, text, token=token)
        except (urllib.error.URLError, OSError) as err:
            print(f"Erreur : l'assistant ne répond pas ({err}). Est-il lancé (make run) ?")
            continue
        buttons = [b for r in replies for b in (r.get("buttons") or [])]
        print(render(replies))


if __name__ == "__main__":
    sys.exit(main())
