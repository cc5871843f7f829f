// Browser end-to-end test of the admin console, in Debian's Chromium driven
// by playwright-core. run.sh starts Herald and sets the environment:
//   HERALD_URL, MAILDEV_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOTS
// Any failed check throws, and the process exits non-zero.

import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";

const base = need("HERALD_URL");
const maildev = need("MAILDEV_URL");
const adminEmail = need("ADMIN_EMAIL");
const adminPassword = need("ADMIN_PASSWORD");
const shots = need("SCREENSHOTS");
mkdirSync(shots, { recursive: true });

const run = randomBytes(4).toString("hex");
const slug = `e2e-${run}`;
const newsletterName = `E2E Daily ${run}`;
const reader = `reader-${run}@example.com`;
const scriptName = "<script>window.__xss=1</script>";
const itemTitle = `Console e2e item ${run}`;

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function step(text) {
  console.log(`e2e: ${text}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls the capture server until `address` has `n` messages. */
async function emailsTo(address, n = 1) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await fetch(`${maildev}/email?to.address=${encodeURIComponent(address)}`);
    const all = await r.json();
    if (all.length >= n) return all;
    if (Date.now() > deadline) throw new Error(`expected ${n} emails to ${address}, got ${all.length}`);
    await sleep(200);
  }
}

/** Fails the run on any console error or CSP violation in a page. */
const problems = [];
function watch(page, label) {
  page.on("console", (msg) => {
    // Failed loads are judged by the response handler below, which knows the URL.
    const load = /^Failed to load resource/.test(msg.text());
    if (msg.type() === "error" && !load) problems.push(`${label}: console error: ${msg.text()}`);
  });
  page.on("response", (r) => {
    // The wrong password is refused with a 401 on purpose.
    const expected = r.status() === 401 && r.url().endsWith("/admin/sign-in");
    if (r.status() >= 400 && !expected) problems.push(`${label}: ${r.status()} for ${r.url()}`);
  });
  page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on("dialog", async (d) => {
    // Only our own confirm() questions may appear; an alert means injected script.
    if (d.type() !== "confirm") problems.push(`${label}: unexpected ${d.type()}: ${d.message()}`);
    await d.accept();
  });
}

/** The page's notice must match `re`; an alert instead is reported as such. */
async function expectNotice(page, re) {
  const alert = page.locator("[role=alert]");
  if (await alert.count()) throw new Error(`refused: ${await alert.first().textContent()}`);
  assert.match(await page.textContent("[role=status]"), re);
}

async function screenshot(page, name) {
  for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${shots}/${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

/** A page on another origin (same site: 127.0.0.1, another port) that posts to the console. */
function attackerServer(token) {
  const server = http.createServer((req, res) => {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.end(`<!DOCTYPE html><title>Win a prize</title>
<form method="post" action="${base}/admin/newsletters">
  <input type="hidden" name="csrf" value="${token}">
  <input type="hidden" name="slug" value="evil-${run}">
  <input type="hidden" name="name" value="Evil">
  <button id="go" type="submit">Claim</button>
</form>`);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// A hung step must fail the run, not stall CI.
setTimeout(() => {
  console.error("e2e: FAILED: the run took longer than 4 minutes");
  process.exit(1);
}, 240_000).unref();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
let failed = false;
let page;
try {
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  watch(page, "admin");

  step("signed out, /admin leads to the sign-in form");
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, "/admin/sign-in");

  step("a wrong password is refused");
  await page.fill("#email", adminEmail);
  await page.fill("#password", "not the password");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  assert.match(await page.textContent("[role=alert]"), /don't match/);

  step("sign in");
  await page.fill("#email", adminEmail);
  await page.fill("#password", adminPassword);
  await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
  assert.equal(new URL(page.url()).pathname, "/admin");
  assert.equal(await page.textContent("h1"), "Dashboard");
  const cookies = await context.cookies(`${base}/admin`);
  const session = cookies.find((c) => c.name === "herald_session");
  assert.ok(session, "a session cookie");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");

  step("create a newsletter");
  await page.goto(`${base}/admin/newsletters`);
  await page.fill("#slug", slug);
  await page.fill("#name", newsletterName);
  await page.fill("#description", "Made by the browser test");
  await Promise.all([page.waitForNavigation(), page.click("form[aria-labelledby=create] button")]);
  assert.equal(new URL(page.url()).pathname, `/admin/newsletters/${slug}`);
  assert.equal(await page.textContent("h1"), newsletterName);
  assert.match(await page.textContent("#snippet"), new RegExp(`action="${base}/subscriptions"`));

  step("a reader signs up through the public form and confirms from the email");
  const readerPage = await browser.newPage();
  watch(readerPage, "reader");
  await readerPage.goto(`${base}/newsletters/${slug}`);
  await readerPage.fill("input[type=email]", reader);
  await Promise.all([readerPage.waitForNavigation(), readerPage.click("main button[type=submit]")]);
  const [confirmation] = await emailsTo(reader, 1);
  const link = confirmation.text.match(/https?:\/\/\S+\/subscriptions\/confirm\?token=[\w-]+/);
  assert.ok(link, `a confirmation link in: ${confirmation.text}`);
  await readerPage.goto(link[0]);
  await Promise.all([readerPage.waitForNavigation(), readerPage.click("main button[type=submit]")]);
  assert.match(await readerPage.textContent("h1"), /confirmed|subscribed/i);
  await readerPage.close();

  step("add subscribers in the console, one named like a script");
  const extra = [
    [`ada-${run}@example.com`, "Ada"],
    [`bo-${run}@example.com`, "Bo"],
    [`cy-${run}@example.com`, "Cy"],
    [`script-${run}@example.com`, scriptName],
  ];
  for (const [email, name] of extra) {
    await page.goto(`${base}/admin/newsletters/${slug}/subscribers`);
    await page.fill("#add-email", email);
    await page.fill("#add-name", name);
    await page.selectOption("#add-status", "confirmed");
    await page.fill("#add-consent", "asked at the e2e desk");
    await Promise.all([page.waitForNavigation(), page.click("form[aria-labelledby=add] button")]);
    await expectNotice(page, /Added/);
  }

  step("the script name shows as text and never runs");
  await page.goto(`${base}/admin/newsletters/${slug}/subscribers`);
  const shown = await page.locator(".subscriber-name", { hasText: "<script>" }).first().textContent();
  assert.equal(shown, scriptName);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  const readerRow = page.locator("#subscribers tr", { hasText: reader });
  assert.match(await readerRow.textContent(), /confirmed/);

  step("import a CSV with a progress bar");
  // Few rows: each gets a confirmation email, sent at the test's slow send rate.
  const rows = Array.from({ length: 8 }, (_, i) => `imp${i}-${run}@example.com,Imported ${i}`);
  await page.setInputFiles("#import-file", {
    name: "readers.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`email,name\n${rows.join("\n")}\nnot-an-address,Bad\n`),
  });
  await page.click("#import-form button[type=submit]");
  await page.locator("#import-result", { hasText: "Imported" }).waitFor();
  assert.equal(await page.textContent("#import-result"), "Imported 8, skipped 0, invalid 1, suppressed 0.");
  assert.equal(await page.evaluate(() => document.getElementById("import-progress").value), 100);
  await page.goto(`${base}/admin/newsletters/${slug}/subscribers?status=pending`);
  assert.equal(await page.locator("#subscribers tbody tr").count(), 8, "the imported rows are pending");

  step("search and filter subscribers");
  await page.fill("#q", `ada-${run}`);
  await Promise.all([page.waitForNavigation(), page.click("form[role=search] button")]);
  assert.equal(await page.locator("#subscribers tbody tr").count(), 1);

  step("add a feed item");
  await page.goto(`${base}/admin/feeds`);
  await page.fill("#item-title", itemTitle);
  await page.fill("#item-url", "https://example.com/e2e");
  await page.fill("#item-summary", "An item added from the browser");
  await page.check(`form[aria-labelledby=add-item] input[value="${slug}"]`);
  await Promise.all([page.waitForNavigation(), page.click("form[aria-labelledby=add-item] button")]);
  await expectNotice(page, /Item added/);
  assert.ok(await page.locator("#items", { hasText: itemTitle }).count());

  step("preview the next digest in a sandboxed frame");
  await page.goto(`${base}/admin/newsletters/${slug}/digest`);
  const frame = page.locator("iframe.preview");
  assert.equal(await frame.getAttribute("sandbox"), "");
  await page.frameLocator("iframe.preview").getByText(itemTitle).first().waitFor();
  await screenshot(page, "digest-preview");

  step("send it after the confirmation step");
  await Promise.all([page.waitForNavigation(), page.click("#send")]);
  assert.equal(await page.textContent("#recipients"), "5");
  await Promise.all([page.waitForNavigation(), page.click("#confirm-send")]);
  assert.match(new URL(page.url()).pathname, /^\/admin\/digests\/\d+$/);

  step("watch the progress bar reach 100 %");
  const seen = new Set();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await page
      .evaluate(() => {
        const bar = document.getElementById("digest-progress");
        return bar && { value: bar.value, done: bar.getAttribute("data-done") };
      })
      .catch(() => null); // the page reloads itself when done
    if (state) seen.add(state.value);
    if (state && state.done === "true") break;
    if (Date.now() > deadline) throw new Error(`progress stuck; saw ${[...seen]}`);
    await sleep(100);
  }
  assert.equal(await page.evaluate(() => document.getElementById("digest-progress").value), 100);
  assert.equal(await page.textContent("[data-field=percent]"), "100");
  assert.equal(await page.textContent("[data-field=sent]"), "5");
  console.log(`e2e: progress values seen: ${[...seen].sort((a, b) => a - b).join(", ")}`);
  await screenshot(page, "digest");

  step("the digest arrives");
  const mails = await emailsTo(reader, 2);
  const digestMail = mails.find((m) => (m.text || "").includes(itemTitle));
  assert.ok(digestMail, "the digest reached the reader");

  step("dashboard counts and chart");
  await page.goto(`${base}/admin`);
  const card = page.locator("section.card", { hasText: newsletterName });
  assert.equal(await card.locator("[data-count=confirmed]").textContent(), "5");
  assert.ok((await card.locator("svg.chart rect").count()) === 60, "30 days of two bars");
  await screenshot(page, "dashboard");

  step("a provider reports a hard bounce; the console lists the suppression and lifts it");
  const bounced = `bo-${run}@example.com`;
  const hook = await fetch(`${base}/webhooks/postmark`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Basic ${Buffer.from(`${need("WEBHOOK_USER")}:${need("WEBHOOK_PASSWORD")}`).toString("base64")}`,
    },
    body: JSON.stringify({
      RecordType: "Bounce",
      Type: "HardBounce",
      Email: bounced,
      Description: "The server was unable to deliver your message",
      Details: `smtp; 550 5.1.1 <${bounced}>: Recipient address rejected`,
    }),
  });
  assert.equal(hook.status, 200, "the provider's webhook is taken");
  await page.goto(`${base}/admin`);
  assert.equal(await page.locator("[data-count=suppressed]").textContent(), "1", "the dashboard counts it");
  assert.equal(await card.locator("[data-count=confirmed]").textContent(), "4", "no longer confirmed");
  await Promise.all([page.waitForNavigation(), page.click("a[href='/admin/suppressions']")]);
  const suppressedRow = page.locator("#suppressions tbody tr", { hasText: bounced });
  assert.match(await suppressedRow.textContent(), /hard bounce/);
  assert.match(await suppressedRow.textContent(), /5\.1\.1/, "the evidence is shown");
  await screenshot(page, "suppressions");
  await Promise.all([page.waitForNavigation(), suppressedRow.locator("button", { hasText: "Lift" }).click()]);
  assert.equal(await page.locator("#suppressions tbody tr", { hasText: bounced }).count(), 0, "lifted");
  assert.equal(await page.locator("[data-count=suppressions]").textContent(), "0");
  await page.goto(`${base}/admin`);
  assert.equal(await card.locator("[data-count=confirmed]").textContent(), "5", "confirmed again");

  step("a form posted from another origin is refused");
  const csrf = await page.getAttribute("input[name=csrf]", "value");
  const attacker = await attackerServer(csrf);
  const evil = await context.newPage();
  await evil.goto(`http://127.0.0.1:${attacker.address().port}/`);
  const [response] = await Promise.all([
    evil.waitForResponse((r) => r.url() === `${base}/admin/newsletters` && r.request().method() === "POST"),
    evil.click("#go"),
  ]);
  assert.equal(response.status(), 403, "cross-origin post refused");
  attacker.close();
  // Closing the page whose form just navigated can hang in Chromium (seen
  // here, now and then): give it five seconds, then go on; the check is
  // the 403 above and that nothing was created below.
  await Promise.race([evil.close(), sleep(5000)]);
  await page.goto(`${base}/admin/newsletters`);
  assert.equal(await page.locator("table", { hasText: `evil-${run}` }).count(), 0, "nothing created");

  step("sign out");
  await Promise.all([page.waitForNavigation(), page.click("header button[type=submit]")]);
  assert.equal(new URL(page.url()).pathname, "/admin/sign-in");
  await page.goto(`${base}/admin`);
  assert.equal(new URL(page.url()).pathname, "/admin/sign-in");

  step("the reader follows the digest's manage link and leaves the newsletter");
  const manageLink = digestMail.text.match(/https?:\/\/\S+\/subscriptions\/manage\?token=[0-9a-f-]+/)[0];
  const managePage = await browser.newPage({ viewport: PHONE });
  watch(managePage, "manage");
  await managePage.goto(manageLink);
  const box = managePage.locator(`input[type=checkbox][value="${slug}"]`);
  assert.equal(await box.isChecked(), true, "subscribed, so ticked");
  await managePage.reload(); // GET changes nothing
  assert.equal(await box.isChecked(), true);
  await screenshot(managePage, "manage");
  await box.uncheck();
  await Promise.all([managePage.waitForNavigation(), managePage.click("button:has-text('Save my choices')")]);
  assert.match(await managePage.textContent("h1"), /Your choices are saved/);
  assert.match(await managePage.textContent("main"), /receives no newsletters/);
  await managePage.goto(manageLink);
  assert.equal(await managePage.locator(`input[type=checkbox][value="${slug}"]`).isChecked(), false);
  await managePage.close();

  if (problems.length) throw new Error(`browser problems:\n${problems.join("\n")}`);
  console.log(`e2e: all console checks passed; screenshots in ${shots}`);
} catch (e) {
  failed = true;
  console.error("e2e: FAILED:", e);
  if (page) {
    console.error(`e2e: the admin page was ${page.url()}`);
    await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
    console.error((await page.content().catch(() => "")).slice(0, 3000));
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
