// Browser end-to-end test of the embedded signup form: a news article on
// another origin (a Ukrainian regional newsroom, served by
// `python3 -m http.server`) with three newsletter boxes pasted from the
// console's snippet, under a strict Content-Security-Policy. run.sh starts
// Herald with HERALD_ALLOWED_ORIGINS naming the article's origin and sets:
//   HERALD_URL, MAILDEV_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOTS,
//   ARTICLE_PORT (listed), OTHER_PORT (not listed)
// Any failed check throws, and the process exits non-zero.

import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const base = need("HERALD_URL");
const maildev = need("MAILDEV_URL");
const adminEmail = need("ADMIN_EMAIL");
const adminPassword = need("ADMIN_PASSWORD");
const shots = need("SCREENSHOTS");
const articleOrigin = `http://127.0.0.1:${need("ARTICLE_PORT")}`;
const otherOrigin = `http://127.0.0.1:${need("OTHER_PORT")}`;
mkdirSync(shots, { recursive: true });

const run = randomBytes(4).toString("hex");
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const EN = {
  invalid: "Please, enter correct email address",
  title: "Successfully subscribed",
  body: "Thank you for signing up for this newsletter. We've sent you a confirmation email.",
  network: /couldn't reach the server/,
};
const UK = {
  invalid: "Будь ласка, введіть правильну адресу електронної пошти",
  title: "Ви успішно підписалися",
  body: "Дякуємо, що підписалися на цю розсилку. Ми надіслали вам листа для підтвердження.",
};

/** The article's boxes: slug, name and language of each newsletter. */
const boxes = [
  { slug: `ranok-${run}`, name: `Ранковий огляд ${run}`, language: "uk" },
  { slug: `vechir-${run}`, name: `Вечірній підсумок ${run}`, language: "uk" },
  { slug: `weekly-${run}`, name: `Polissia Weekly ${run}`, language: "en" },
];
const [morning, , weekly] = boxes;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function step(text) {
  console.log(`e2e embed: ${text}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const reader = (what) => `${what}-${run}@example.com`;

async function emails(address) {
  const r = await fetch(`${maildev}/email?to.address=${encodeURIComponent(address)}`);
  return r.json();
}

/** Polls the capture server until `address` has `n` messages. */
async function emailsTo(address, n = 1) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const all = await emails(address);
    if (all.length >= n) return all;
    if (Date.now() > deadline) throw new Error(`expected ${n} emails to ${address}, got ${all.length}`);
    await sleep(200);
  }
}

/** Fails the run on console errors, page errors and CSP violations. */
const problems = [];
function watch(page, label, { expectedStatuses = [] } = {}) {
  page.on("console", (msg) => {
    // Failed loads are judged by the response handler below, which knows the status.
    const load = /^Failed to load resource/.test(msg.text());
    if ((msg.type() === "error" || /Content.Security.Policy/i.test(msg.text())) && !load) {
      problems.push(`${label}: console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !expectedStatuses.includes(r.status())) {
      problems.push(`${label}: ${r.status()} for ${r.url()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
}

/** Reports CSP violations through the console, where `watch` sees them. */
async function reportViolations(context) {
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

/** The box of a newsletter on the article page. */
const box = (page, n) => page.locator(`form[data-herald]:has(input[name=newsletter][value="${n.slug}"])`);

/** Submits `email` in a newsletter's box with the script on; waits for the answer. */
async function submitInPlace(page, n, email, expectedText) {
  const form = box(page, n);
  await form.locator("input[name=email]").fill(email);
  const url = page.url();
  await form.locator("button[type=submit]").click();
  const message = form.locator("[data-herald-message]");
  await message.filter({ hasText: expectedText }).waitFor({ timeout: 15_000 });
  assert.equal(page.url(), url, "the page stays where it was");
  assert.equal(await message.isVisible(), true);
  assert.equal(await form.locator("button[type=submit]").isEnabled(), true, "the button is usable again");
  return { form, message };
}

/** Starts `python3 -m http.server` on a loopback port serving `dir`. */
async function staticServer(dir, origin) {
  const port = new URL(origin).port;
  const child = spawn("python3", ["-m", "http.server", port, "--bind", "127.0.0.1", "--directory", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${origin}/article.css`);
      if (r.ok) return child;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the static server on ${origin} did not start: ${log}`);
    }
    await sleep(100);
  }
}

// A hung step must fail the run, not stall CI.
setTimeout(() => {
  console.error("e2e embed: FAILED: the run took longer than 4 minutes");
  process.exit(1);
}, 240_000).unref();

const site = mkdtempSync(join(tmpdir(), "herald-article-"));
const servers = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
let failed = false;
let page;
try {
  step("sign in to the console and create three newsletters, two of them Ukrainian");
  const admin = await browser.newContext({ viewport: DESKTOP });
  const console_ = await admin.newPage();
  watch(console_, "console");
  await console_.goto(`${base}/admin/sign-in`);
  await console_.fill("#email", adminEmail);
  await console_.fill("#password", adminPassword);
  await Promise.all([console_.waitForNavigation(), console_.click("main button[type=submit]")]);
  const snippets = [];
  for (const n of boxes) {
    await console_.goto(`${base}/admin/newsletters`);
    await console_.fill("#slug", n.slug);
    await console_.fill("#name", n.name);
    await console_.selectOption("#language", n.language);
    await Promise.all([console_.waitForNavigation(), console_.click("form[aria-labelledby=create] button")]);
    assert.equal(new URL(console_.url()).pathname, `/admin/newsletters/${n.slug}`);
    const snippet = await console_.textContent("#snippet");
    assert.match(snippet, new RegExp(`<form data-herald lang="${n.language}"`));
    assert.match(snippet, /name="website"/, "the honeypot is in the snippet");
    assert.match(snippet, /integrity="sha384-[A-Za-z0-9+/]{64}" crossorigin="anonymous" defer><\/script>/);
    snippets.push(snippet);
  }

  step("paste the snippets into an article on another origin, as its owner would");
  const article = `${articleOrigin}/index.html`;
  let html = readFileSync(join(here, "article/index.html"), "utf8").replaceAll("%HERALD%", base);
  snippets.forEach((s, i) => {
    // The owner fills in return_to, as the snippet's comment asks, for readers without script.
    const filled = s.replace('name="return_to" value=""', `name="return_to" value="${article}"`);
    html = html.replace(`%BOX_${i + 1}%`, filled);
  });
  writeFileSync(join(site, "index.html"), html);
  copyFileSync(join(here, "article/article.css"), join(site, "article.css"));
  servers.push(await staticServer(site, articleOrigin));
  servers.push(await staticServer(site, otherOrigin));

  step("the script loads under the article's strict CSP and takes over every box");
  const readers = await browser.newContext({ viewport: DESKTOP });
  await reportViolations(readers);
  page = await readers.newPage();
  // The bad addresses are refused with a 422 on purpose.
  watch(page, "article", { expectedStatuses: [422] });
  await page.goto(article);
  await page.locator("form[data-herald][data-herald-ready]").nth(2).waitFor();
  assert.equal(await page.locator("form[data-herald][data-herald-ready]").count(), 3);
  assert.equal(await page.locator("[data-herald] [style], form[data-herald][style]").count(), 0, "no style attributes");

  step("a bad address is refused in place, in the box's language");
  let { form, message } = await submitInPlace(page, weekly, "reader@nowhere", EN.invalid);
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), "true");
  assert.equal(await message.getAttribute("aria-live"), "polite");
  ({ form } = await submitInPlace(page, morning, "читач@ніде", UK.invalid));
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), "true");

  step("a good address is accepted in place and the confirmation email arrives");
  const enReader = reader("weekly");
  ({ form, message } = await submitInPlace(page, weekly, enReader, EN.title));
  assert.match(await message.textContent(), new RegExp(EN.body.replace(/[.?]/g, "\\$&")));
  assert.equal(await form.locator("input[name=email]").inputValue(), "", "the form is reset");
  assert.equal(await form.locator("input[name=email]").getAttribute("aria-invalid"), null);
  const [enMail] = await emailsTo(enReader);
  assert.match(enMail.subject, /Confirm your subscription/);

  step("a Ukrainian newsletter answers, and writes, in Ukrainian");
  const ukReader = reader("ranok");
  ({ message } = await submitInPlace(page, morning, ukReader, UK.title));
  assert.match(await message.textContent(), new RegExp(UK.body.replace(/[.?]/g, "\\$&")));
  const [ukMail] = await emailsTo(ukReader);
  assert.match(ukMail.subject, /^Підтвердьте підписку на «Ранковий огляд/, ukMail.subject);
  assert.match(ukMail.text, /Щоб підтвердити підписку/, ukMail.text);
  assert.doesNotMatch(ukMail.text, /Confirm your subscription|If you didn't/);

  step("screenshots at desktop and phone width, one box with a refused address");
  await submitInPlace(page, boxes[1], "vechir@localhost", UK.invalid);
  await page.screenshot({ path: `${shots}/embed-desktop.png`, fullPage: true });
  await page.setViewportSize(PHONE);
  await page.locator(".newsletters").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/embed-phone.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);

  step("without JavaScript the form posts and the reader lands back on the article");
  const noScript = await browser.newContext({ viewport: DESKTOP, javaScriptEnabled: false });
  const plain = await noScript.newPage();
  watch(plain, "article without script");
  await plain.goto(article);
  const plainReader = reader("noscript");
  await box(plain, weekly).locator("input[name=email]").fill(plainReader);
  await Promise.all([
    plain.waitForURL((u) => u.origin === articleOrigin && u.searchParams.get("herald") === "pending"),
    box(plain, weekly).locator("button[type=submit]").click(),
  ]);
  assert.equal(plain.url(), `${article}?herald=pending`);
  await emailsTo(plainReader);

  step("from an origin that isn't allowed, nothing is written");
  const otherArticle = `${otherOrigin}/index.html`;
  const foreign = await readers.newPage();
  // The browser reports the refused CORS preflight in the console: that is the point here.
  foreign.on("pageerror", (e) => problems.push(`foreign article: page error: ${e.message}`));
  await foreign.goto(otherArticle);
  await foreign.locator("form[data-herald][data-herald-ready]").nth(2).waitFor();
  const blocked = reader("blocked-js");
  await submitInPlace(foreign, weekly, blocked, EN.network);
  const plainForeign = await noScript.newPage();
  await plainForeign.goto(otherArticle);
  const blockedForm = reader("blocked-form");
  await box(plainForeign, weekly).locator("input[name=email]").fill(blockedForm);
  const [refused] = await Promise.all([
    plainForeign.waitForResponse((r) => r.url() === `${base}/subscriptions` && r.request().method() === "POST"),
    box(plainForeign, weekly).locator("button[type=submit]").click(),
  ]);
  assert.equal(refused.status(), 403);
  await plainForeign.waitForLoadState();
  assert.match(await plainForeign.textContent("h1"), /Signup refused|Підписку відхилено/);
  // The accepted signups above arrived within a second or two; give these as long and more.
  await sleep(3000);
  for (const address of [blocked, blockedForm]) {
    assert.equal((await emails(address)).length, 0, `no email to ${address}`);
    await console_.goto(`${base}/admin/newsletters/${weekly.slug}/subscribers?q=${encodeURIComponent(address)}`);
    assert.equal(await console_.locator("#subscribers", { hasText: address }).count(), 0, `${address} not stored`);
  }
  await console_.goto(`${base}/admin/newsletters/${weekly.slug}/subscribers?q=${encodeURIComponent(enReader)}`);
  assert.equal(await console_.locator("#subscribers", { hasText: enReader }).count(), 1, "the search finds real ones");

  if (problems.length) throw new Error(`browser problems:\n${problems.join("\n")}`);
  console.log(`e2e embed: all checks passed; screenshots in ${shots}`);
} catch (e) {
  failed = true;
  console.error("e2e embed: FAILED:", e);
  if (page) {
    console.error(`e2e embed: the article page was ${page.url()}`);
    await page.screenshot({ path: `${shots}/embed-failure.png`, fullPage: true }).catch(() => {});
  }
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await browser.close();
  for (const s of servers) s.kill();
  rmSync(site, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
