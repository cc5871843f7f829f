# Herald's reader-facing text in English.
#
# To change a message, copy this file to
# $HERALD_TEMPLATES_DIR/locales/en/herald.ftl and keep only the messages you
# change: they replace these, the rest stay. Syntax: https://projectfluent.org

## Dates: the month's name as it stands in a date, and the order of the parts.

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-format = { $month } { $day }, { $year }
datetime-format = { $month } { $day }, { $year }, { $time }

## Durations, as in "The link expires in 48 hours."

duration-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
duration-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}

## Every page

skip-to-content = Skip to content
footer-back = Back to { $site }
see-all-newsletters = See all newsletters
error-code = Error { $status }

## Signup boxes (the home page, a newsletter's page, the embedded form)

index-title = Newsletters
index-empty = There are no newsletters yet. Please check back later.
signup-label = Enter your email to subscribe
signup-required = indicates required
signup-honeypot = Leave this field empty
signup-button = Subscribe
signup-invalid-email = Please, enter correct email address
all-newsletters = All newsletters

## After a signup, and the embed's answers

pending-title = Check your email
pending-heading = Successfully subscribed
pending-body = Thank you for signing up for this newsletter. We've sent you a confirmation email. Please open it and click the link to confirm your subscription.
pending-hint = The link expires after a while, so please confirm soon. If the email doesn't arrive within a few minutes, check your spam or junk folder.
embed-invalid = Please, enter correct email address
embed-success-title = Successfully subscribed
embed-success-body = Thank you for signing up for this newsletter. We've sent you a confirmation email.
embed-too-many = { $seconds ->
    [one] Too many attempts. Please try again in a second.
   *[other] Too many attempts. Please try again in { $seconds } seconds.
}
embed-network = We couldn't reach the server. Check your connection and try again.
embed-error = Something went wrong. Please try again.
embed-sending = Sending…

## Confirming

confirm-title = Confirm your subscription
confirm-legend = Confirm that { $email } should receive:
confirm-untick = Untick any newsletter you don't want.
confirm-button = Confirm subscription
confirm-already-title = Already confirmed
confirm-nothing-left = There is nothing left to confirm for this address.
confirmed-title = Subscription confirmed
confirmed-list = You're subscribed to:
confirmed-none = No subscription was changed.

## Leaving

unsubscribe-title = Unsubscribe
unsubscribe-question = Stop sending { $newsletter } to { $email }?
unsubscribe-already = { $email } is not subscribed to { $newsletter } anymore.
unsubscribe-button = Unsubscribe
unsubscribed-title = Unsubscribed
unsubscribed-heading = You're unsubscribed
unsubscribed-body = You will no longer receive { $newsletter }.
subscribe-again = Subscribe again

## Error pages: a title and a message each

error-not-found-title = Page not found
error-not-found-message = There is nothing at this address.
error-newsletter-not-found-title = Newsletter not found
error-newsletter-not-found-message = There is no newsletter at this address.
error-link-incomplete-title = Link incomplete
error-link-incomplete-message = This link is missing its token. Copy the whole link from the email.
error-confirm-unknown-title = Link not recognised
error-confirm-unknown-message = This confirmation link is not valid. Copy the whole link from the email, or sign up again.
error-confirm-expired-title = Link expired
error-confirm-expired-message = This confirmation link has expired. Please sign up again and we'll send you a new one.
error-confirm-used-title = Link already used
error-confirm-used-message = This confirmation link has already been used, so it does nothing more. To change your newsletters, use the link at the bottom of any newsletter email.
error-unsubscribe-unknown-title = Link not recognised
error-unsubscribe-unknown-message = This unsubscribe link is not valid. Copy the whole link from the email.
error-origin-title = Signup refused
error-origin-message = This form may not be used from the page it was sent from.
sign-up-again = Sign up again

## A reader's preference page

manage-title = Your newsletters
manage-intro = Choose what { $email } receives.
manage-name-label = Your name (optional)
manage-legend = Newsletters
manage-save = Save my choices
manage-unsubscribe-all = Unsubscribe from all
manage-request-title = Manage your newsletters
manage-request-sent = If we have that address, a link to manage its newsletters is on its way. Check your inbox.
manage-request-unknown = That link is not valid (anymore). Ask for a new one below.
manage-request-intro = Every email we send carries a link to your preferences. Lost it? We'll email it to you.
manage-request-label = Your email address
manage-request-button = Email me my link
manage-saved-all-heading = You're unsubscribed from everything
manage-saved-all-body = { $email } will receive no more newsletters from us.
manage-saved-undo = Undo: subscribe me again
manage-saved-heading = Your choices are saved
manage-saved-receives = { $email } receives:
manage-saved-none = { $email } receives no newsletters from us.
manage-saved-change = Change your choices

## The confirmation email

confirm-email-subject = { $count ->
    [one] Confirm your subscription to { $newsletter }
   *[other] Confirm your subscription to { $count } newsletters
}
confirm-email-hello = Hello,
confirm-email-intro = Someone (hopefully you) asked to subscribe this address to:
confirm-email-open = To confirm your subscription, open this link:
confirm-email-copy = If the button doesn't work, copy and paste this link into your browser:
confirm-email-expires = The link expires in { $duration }.
confirm-email-ignore = If you did not sign up, ignore this email; you will not be subscribed.

## Digests and welcome emails

digest-subject = { $newsletter } — { $date }
digest-read-more = Read more
email-footer-reason = You receive { $newsletter } from { $site } because you subscribed to it.
email-footer-manage = Manage your newsletters
email-footer-unsubscribe = Unsubscribe

## The email with a reader's preference link

manage-email-subject = Your link to manage your newsletters
manage-email-heading = Manage your newsletters
manage-email-intro = Someone (hopefully you) asked for the link to manage the newsletters this address receives.
manage-email-open = Open it to choose your newsletters or change your name:
manage-email-button = Choose your newsletters
manage-email-keep = Keep it to yourself: anyone with the link can change your subscriptions. If you did not ask for it, ignore this email; nothing has changed.

## The news feed (/news) and its Atom feed

news-title = News Feed
news-empty = There is no news yet. Please check back later.
news-more = More news
news-pages = More pages
news-atom = Follow the news (Atom feed)
news-feed-title = { $site }: news
news-page-invalid-title = No such page
news-page-invalid-message = This page number is not valid.
news-page-past-end-title = No such page
news-page-past-end-message = There is nothing this far back.
news-first-page = Back to the first page

## A newsletter's archive of sent issues

archive-link = Past issues
archive-title = { $newsletter }: past issues
archive-heading = Past issues of { $newsletter }
archive-empty = No issues have been sent yet.
archive-older = Older issues
archive-atom = Follow the past issues (Atom feed)
archive-subscribe = Subscribe to { $newsletter }
archive-back = All past issues of { $newsletter }
archive-copy-title = { $subject }, as subscribers received it
archive-not-found-title = Not in the archive
archive-not-found-message = There is no archive or no such issue at this address.
archive-see-newsletter = See the newsletter
