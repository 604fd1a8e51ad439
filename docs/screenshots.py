"""`make screenshots`: the seeded demo, driven through each role's main flow in Chromium.

Starts what ``make run`` serves (migrate, seed_demo, ensure_org_keys, runserver) on a
throw-away SQLite database in var/walkthrough/ on a free loopback port, then walks it:

- the officer signs in (password, then the authenticator code), searches for a bed free now,
  holds one, and asks the person's consent with a QR code;
- the survivor, on their own phone, reads the notice, chooses what to share and signs;
- the officer sends the sealed referral;
- the shelter's caseworker finds it in the inbox, accepts it and opens the sealed details;
- the survivor, on their phone, opens the portal, reads the ledger and takes consent back.

Each step writes a PNG into docs/walkthrough/ (1280×800 desktop, 390×844 phone, optimised
without loss) and docs/WALKTHROUGH.md is written again with a caption for each. Any console
error, script error or failed asset on any page stops the run, as in the browser tests.

    python docs/screenshots.py [--port 0]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oxipng
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "walkthrough"
DOC = ROOT / "docs" / "WALKTHROUGH.md"
VAR = ROOT / "var" / "walkthrough"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
OFFICER, CASEWORKER = "officer@demo.haven.invalid", "caseworker@demo.haven.invalid"
SHELTER = "Trinity Safe Harbor"
# What the officer types into the sealed packet: made up, as everything in the demo is.
ALIAS, CONTACT = "Rosa", "Text only, (214) 555-0188, after 6 pm"
PIN = "482916"


@dataclass
class Shot:
    file: str
    role: str
    caption: str
    phone: bool
    section: str


class Walkthrough:
    def __init__(self, browser: Browser, base: str) -> None:
        from tests.browser.conftest import watch

        self.browser, self.base, self.watch = browser, base, watch
        self.shots: list[Shot] = []
        self.errors: list[str] = []
        self.section = ""

    def page(self, *, phone: bool) -> Page:
        context = self.browser.new_context(viewport=PHONE if phone else DESKTOP, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(15_000)
        return self.watch(page, self.errors)

    def shot(
        self,
        page: Page,
        name: str,
        role: str,
        caption: str,
        *,
        at: Any = None,
        where: str = "start",
    ) -> None:
        """A picture of what the person sees now: ``at`` (a locator) scrolled to the top of
        the window (below the survivor pages' quick-exit bar) or, ``where="end"``, to its
        bottom."""
        if at is None:
            page.evaluate("window.scrollTo(0, 0)")
        else:
            at.evaluate(
                "(el, where) => { el.scrollIntoView({block: where});"
                " if (where === 'start') window.scrollBy(0, -70); }",
                where,
            )
        page.evaluate("document.activeElement && document.activeElement.blur()")
        phone = (page.viewport_size or DESKTOP)["width"] < 600
        file = f"{len(self.shots) + 1:02d}-{role.lower()}-{name}.png"
        path = SHOTS / file
        page.screenshot(path=path, animations="disabled")
        oxipng.optimize(path, level=4, strip=oxipng.StripChunks.safe())
        self.shots.append(Shot(file, role, caption, phone, self.section))
        if self.errors:
            raise SystemExit(f"the page reported errors at {file}: {self.errors}")


def walk(w: Walkthrough) -> None:
    from accounts.demo import DEMO_PASSWORD
    from accounts.models import User
    from tests.browser.conftest import sign_in, sign_in_code, sign_in_password

    base = w.base
    officer_user = User.objects.get(email=OFFICER)
    caseworker_user = User.objects.get(email=CASEWORKER)

    w.section = "Officer: find a bed, hold it, ask for consent"
    officer = w.page(phone=False)
    officer.goto(base + "/accounts/sign-in/")
    officer.get_by_label("E-mail address").fill(OFFICER)
    w.shot(officer, "sign-in", "Officer", "Signing in: e-mail address and password first.")
    sign_in_password(officer, base, officer_user, password=DEMO_PASSWORD)
    w.shot(
        officer,
        "code",
        "Officer",
        "Then the six-digit code from the authenticator app. "
        "(The demo shows its accounts their code; a real deployment never does.)",
    )
    sign_in_code(officer, officer_user)
    officer.goto(base + "/?near=75201")
    officer.get_by_text("More filters").click()
    officer.get_by_label("A bed free now").check()
    officer.get_by_label("Who it is for").select_option("women")
    officer.get_by_role("button", name="Search").click()
    officer.wait_for_url(re.compile(r"has_beds=on"))
    result = officer.locator(".result", has_text=f"{SHELTER} Shelter")
    w.shot(
        officer,
        "search",
        "Officer",
        "A search near ZIP 75201 for a bed free now, for a "
        "woman: nearest first, each place with its free beds and how fresh the count is. "
        "The shelter's address is confidential, so only the city and a rounded distance "
        "show, with the intake line.",
    )
    result.get_by_role("button", name="Hold a bed (Women)").click()
    officer.wait_for_url(re.compile(r"/holds/[0-9a-f-]+/$"))
    w.shot(
        officer,
        "hold",
        "Officer",
        "One tap holds the bed for 90 minutes. A hold carries no survivor data at all.",
    )
    officer.get_by_role("link", name="Ask the person's consent to refer them here").click()
    w.shot(
        officer,
        "consent-request",
        "Officer",
        "Asking the person's consent: the receiving "
        "organisation and the service come from the hold.",
    )
    officer.get_by_role("button", name="Create the request").click()
    expect(officer.get_by_role("img", name="QR code of the link")).to_be_visible()
    w.shot(
        officer,
        "qr-code",
        "Officer",
        "A QR code for the person's own phone, or a short "
        "code to type, or the officer's device handed over. It works once, for 15 minutes.",
    )
    link = officer.locator("code.secret").inner_text()

    w.section = "Survivor: agree on their own phone"
    phone = w.page(phone=True)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Please read this first")).to_be_visible()
    w.shot(
        phone,
        "notice",
        "Survivor",
        "On their own phone, the person reads who would receive "
        "their details and why, and that saying no never stops them getting help. "
        "“Leave this site now” is always at the top (and the Esc key does the same).",
    )
    phone.get_by_label("The name or alias to use").check()
    phone.get_by_label("A safe way to contact you, and safe times").check()
    w.shot(
        phone,
        "items",
        "Survivor",
        "They choose what may be shared, item by item; nothing is chosen for them.",
        at=phone.locator("fieldset", has_text="What may be shared"),
    )
    phone.get_by_label("1 week").check()
    for box in phone.locator("input[name=acknowledgements]").all():
        box.check()
    w.shot(
        phone,
        "how-long",
        "Survivor",
        "For how long (a week here; never more than the "
        "network allows), and that they understand what it means.",
        at=phone.locator("fieldset", has_text="How long this lasts"),
    )
    phone.get_by_label("Choose a PIN").fill(PIN)
    phone.get_by_label("The same PIN again").fill(PIN)
    phone.get_by_label("Sign: type your name or initials").fill("R.")
    agree = phone.get_by_role("button", name="I agree")
    w.shot(phone, "sign", "Survivor", "They choose a PIN and sign.", at=agree, where="end")
    agree.click()
    expect(phone.get_by_role("heading", name="Your receipt")).to_be_visible()
    receipt = phone.locator(".receipt-code").inner_text()
    w.shot(
        phone,
        "receipt",
        "Survivor",
        "Their receipt: a code that, with their PIN, opens "
        "their portal later. It does not name the shelter, in case someone else sees the "
        "phone.",
    )

    w.section = "Officer: send the sealed referral"
    officer.reload()
    officer.get_by_role("link", name="See what they agreed to").click()
    w.shot(
        officer,
        "consent",
        "Officer",
        "The officer's page says the person agreed, to what "
        "and until when; it never shows their PIN or receipt.",
    )
    officer.get_by_role("link", name="Send a referral under this consent").click()
    officer.get_by_label("Urgent", exact=True).check()
    officer.get_by_label("Emergency shelter").check()
    officer.get_by_label("Bed hold to link").select_option(index=1)
    officer.get_by_label("Your callback phone or e-mail").fill("Dispatch (214) 555-0100")
    officer.get_by_label("The name or alias to use").fill(ALIAS)
    officer.get_by_label("A safe way to contact you, and safe times").fill(CONTACT)
    w.shot(
        officer,
        "referral-coded",
        "Officer",
        "The referral, first its coded part: urgency, "
        "services, the bed hold, household and needs, chosen from lists rather than typed.",
    )
    send = officer.get_by_role("button", name="Seal and send")
    w.shot(
        officer,
        "referral-sealed",
        "Officer",
        "Then only the items the person agreed to share. These are sealed for the shelter alone.",
        at=send,
        where="end",
    )
    send.click()
    expect(officer.locator("#referral-status")).to_have_text("Sent")
    w.shot(
        officer,
        "sent",
        "Officer",
        "Sent. The officer cannot read the sealed details back; "
        "they see only where the referral stands.",
    )

    w.section = "Caseworker: inbox, accept, open"
    caseworker = w.page(phone=False)
    sign_in(caseworker, base, caseworker_user, password=DEMO_PASSWORD)
    caseworker.get_by_role("link", name="Referrals received").click()
    w.shot(
        caseworker,
        "inbox",
        "Caseworker",
        "The shelter's caseworker signs in (password and "
        "code, as above) and finds the referral in the inbox: urgency and services, no "
        "names.",
    )
    caseworker.get_by_role("link", name="Urgent").first.click()
    expect(caseworker.locator("#referral-status")).to_have_text("Waiting for your decision")
    w.shot(
        caseworker,
        "referral",
        "Caseworker",
        "The referral before a decision: the coded "
        "needs, the held bed and the officer's callback. The sealed details can be opened "
        "only after accepting.",
    )
    caseworker.get_by_role("button", name="Accept").click()
    expect(caseworker.get_by_text("Accepted. The bed held")).to_be_visible()
    w.shot(
        caseworker,
        "accepted",
        "Caseworker",
        "Accepted: the held bed becomes an occupied one, and the sealed details can now be opened.",
    )
    caseworker.get_by_role("button", name="Open the sealed details").click()
    expect(caseworker.locator("#packet")).to_contain_text(ALIAS)
    w.shot(
        caseworker,
        "packet",
        "Caseworker",
        "The sealed details, opened: exactly what the "
        "person agreed to share. Each opening is written in the person's ledger.",
    )
    officer.reload()
    expect(officer.locator("#referral-status")).to_have_text("Accepted")
    w.shot(
        officer,
        "accepted",
        "Officer",
        "Back with the officer: the referral is accepted. The sealed details stay closed to "
        "the sending agency.",
    )

    w.section = "Survivor: portal, ledger, take it back"
    portal = w.page(phone=True)
    portal.goto(base + "/my/")
    portal.get_by_label("Receipt code").fill(receipt)
    portal.get_by_label("PIN").fill(PIN)
    w.shot(
        portal,
        "portal",
        "Survivor",
        "Later, the person opens their portal with the receipt code and their PIN.",
    )
    portal.get_by_role("button", name="Open").click()
    ledger = portal.locator("ul.ledger")
    expect(ledger).to_contain_text(f"Your details opened by intake staff: {SHELTER}")
    take_back = portal.get_by_role("button", name=f"Take it back from {SHELTER}")
    w.shot(
        portal,
        "ledger",
        "Survivor",
        "What they shared, with whom, until when, and what "
        "happened: sent, seen in the inbox, accepted, and their details opened by intake "
        "staff.",
        at=take_back,
        where="end",
    )
    take_back.click()
    expect(portal.get_by_text("Done. It is taken back, from now on.")).to_be_visible()
    w.shot(
        portal,
        "taken-back",
        "Survivor",
        "Taking it back is one tap and works at once: "
        "the shelter can no longer open the details. The ledger keeps what already "
        "happened.",
    )


# --- The demo server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def demo_environment(base: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "DJANGO_"))}
    inherited.pop("DATABASE_URL", None)
    return {
        **inherited,
        "HAVEN_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "HAVEN_VAR_DIR": str(VAR),
        "DATABASE_URL": f"sqlite:///{VAR / 'haven.sqlite3'}",
        "SITE_URL": base,
        # Playwright's sync API keeps an event loop in this thread; the ORM reads here are
        # plain synchronous ones (the accounts' authenticator keys).
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    }


def start_demo(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """What `make run` does, on the throw-away database."""
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    log = (VAR / "server.log").open("wb")
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo"], ["ensure_org_keys"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped; see {VAR / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    server.terminate()
    raise SystemExit("the demo server did not answer within 60 s")


# --- The document ------------------------------------------------------------------------------

INTRO = """# Walkthrough

What Haven looks like to each person in its main journey, from the demo that `make run`
serves (every organisation, person and detail in it is made up). An officer finds a shelter
with a free bed, holds it and asks the person's consent; the person agrees on their own phone;
the officer sends a sealed referral; the shelter's caseworker accepts it and opens it; and the
person, later, sees who opened what and takes their consent back.

The pictures are made by `make screenshots` (`docs/screenshots.py`), which drives the demo in
Chromium — desktop pages at 1280×800, phone pages at 390×844 — and writes this file again.
"""


def write_document(shots: list[Shot]) -> None:
    sections = [INTRO]
    section = None
    for number, shot in enumerate(shots, 1):
        if shot.section != section:
            section = shot.section
            sections.append(f"## {section}\n")
        device = "phone" if shot.phone else "desktop"
        what = shot.file.removesuffix(".png").split("-", 2)[2].replace("-", " ")
        alt = f"Screenshot {number}: {shot.role.lower()}, {what} ({device})"
        width = ' width="300"' if shot.phone else ""
        sections.append(
            f"**{number}.** {shot.caption}\n\n"
            f'<img src="walkthrough/{shot.file}" alt="{_escape(alt)}"{width}>\n'
        )
    DOC.write_text("\n".join(sections))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: any free)")
    args = parser.parse_args()
    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    env = demo_environment(base)
    print(f"== the demo on {base}", file=sys.stderr)
    server = start_demo(port, env)
    try:
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from tests.conftest import CHROMIUM, CHROMIUM_ARGS

        shutil.rmtree(SHOTS, ignore_errors=True)
        SHOTS.mkdir(parents=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            walkthrough = Walkthrough(browser, base)
            walk(walkthrough)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    write_document(walkthrough.shots)
    size = sum(path.stat().st_size for path in SHOTS.glob("*.png"))
    print(f"{len(walkthrough.shots)} screenshots ({size / 1024:.0f} KiB) in {SHOTS}; {DOC}")


if __name__ == "__main__":
    main()
