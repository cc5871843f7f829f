# Herald's reader-facing text in Ukrainian.
#
# To change a message, copy this file to
# $HERALD_TEMPLATES_DIR/locales/uk/herald.ftl and keep only the messages you
# change: they replace these, the rest stay. Syntax: https://projectfluent.org

## Dates: the month's name as it stands in a date (genitive), and the order of the parts.

month-1 = січня
month-2 = лютого
month-3 = березня
month-4 = квітня
month-5 = травня
month-6 = червня
month-7 = липня
month-8 = серпня
month-9 = вересня
month-10 = жовтня
month-11 = листопада
month-12 = грудня
date-format = { $day } { $month } { $year } р.
datetime-format = { $day } { $month } { $year }, { $time }

## Durations, as in "Посилання діє 48 годин."

duration-days = { $count ->
    [one] { $count } день
    [few] { $count } дні
   *[other] { $count } днів
}
duration-hours = { $count ->
    [one] { $count } годину
    [few] { $count } години
   *[other] { $count } годин
}
duration-minutes = { $count ->
    [one] { $count } хвилину
    [few] { $count } хвилини
   *[other] { $count } хвилин
}
duration-seconds = { $count ->
    [one] { $count } секунду
    [few] { $count } секунди
   *[other] { $count } секунд
}

## Every page

skip-to-content = Перейти до змісту
footer-back = Перейти на сайт { $site }
see-all-newsletters = Усі розсилки
error-code = Помилка { $status }

## Signup boxes (the home page, a newsletter's page, the embedded form)

index-title = Розсилки
index-empty = Розсилок поки немає. Загляньте згодом.
signup-label = Введіть свою електронну адресу, щоб підписатися
signup-required = позначає обов’язкове поле
signup-honeypot = Залиште це поле порожнім
signup-button = Підписатися
signup-invalid-email = Будь ласка, введіть правильну адресу електронної пошти
all-newsletters = Усі розсилки

## After a signup, and the embed's answers

pending-title = Перевірте пошту
pending-heading = Ви успішно підписалися
pending-body = Дякуємо, що підписалися на цю розсилку. Ми надіслали вам листа для підтвердження. Відкрийте його й перейдіть за посиланням, щоб підтвердити підписку.
pending-hint = Посилання діє обмежений час, тож не відкладайте підтвердження. Якщо лист не надійде за кілька хвилин, перевірте теку «Спам».
embed-invalid = Будь ласка, введіть правильну адресу електронної пошти
embed-success-title = Ви успішно підписалися
embed-success-body = Дякуємо, що підписалися на цю розсилку. Ми надіслали вам листа для підтвердження.
embed-too-many = { $seconds ->
    [one] Забагато спроб. Спробуйте ще раз за { $seconds } секунду.
    [few] Забагато спроб. Спробуйте ще раз за { $seconds } секунди.
   *[other] Забагато спроб. Спробуйте ще раз за { $seconds } секунд.
}
embed-network = Не вдалося зв’язатися із сервером. Перевірте з’єднання й спробуйте ще раз.
embed-error = Щось пішло не так. Спробуйте ще раз.
embed-sending = Надсилаємо…

## Confirming

confirm-title = Підтвердьте підписку
confirm-legend = Підтвердьте, що на адресу { $email } слід надсилати:
confirm-untick = Зніміть позначку з розсилок, які вам не потрібні.
confirm-button = Підтвердити підписку
confirm-already-title = Уже підтверджено
confirm-nothing-left = Для цієї адреси більше нічого підтверджувати.
confirmed-title = Підписку підтверджено
confirmed-list = Ви підписані на:
confirmed-none = Жодну підписку не змінено.

## Leaving

unsubscribe-title = Відписатися
unsubscribe-question = Більше не надсилати «{ $newsletter }» на адресу { $email }?
unsubscribe-already = Адресу { $email } уже відписано від розсилки «{ $newsletter }».
unsubscribe-button = Відписатися
unsubscribed-title = Ви відписалися
unsubscribed-heading = Ви відписалися
unsubscribed-body = Ви більше не отримуватимете «{ $newsletter }».
subscribe-again = Підписатися знову

## Error pages: a title and a message each

error-not-found-title = Сторінку не знайдено
error-not-found-message = За цією адресою нічого немає.
error-newsletter-not-found-title = Розсилку не знайдено
error-newsletter-not-found-message = За цією адресою немає жодної розсилки.
error-link-incomplete-title = Неповне посилання
error-link-incomplete-message = У цьому посиланні бракує токена. Скопіюйте посилання з листа повністю.
error-confirm-unknown-title = Посилання не розпізнано
error-confirm-unknown-message = Це посилання для підтвердження недійсне. Скопіюйте посилання з листа повністю або підпишіться знову.
error-confirm-expired-title = Посилання застаріло
error-confirm-expired-message = Термін дії цього посилання минув. Підпишіться знову, і ми надішлемо вам нове.
error-confirm-used-title = Посилання вже використано
error-confirm-used-message = Це посилання для підтвердження вже використано, тож більше воно нічого не робить. Щоб змінити розсилки, скористайтеся посиланням унизу будь-якого листа розсилки.
error-unsubscribe-unknown-title = Посилання не розпізнано
error-unsubscribe-unknown-message = Це посилання для відписки недійсне. Скопіюйте посилання з листа повністю.
error-origin-title = Підписку відхилено
error-origin-message = Цю форму не можна надсилати зі сторінки, на якій ви її заповнили.
sign-up-again = Підписатися знову

## A reader's preference page

manage-title = Ваші розсилки
manage-intro = Оберіть, що отримуватиме адреса { $email }.
manage-name-label = Ваше ім’я (необов’язково)
manage-legend = Розсилки
manage-save = Зберегти вибір
manage-unsubscribe-all = Відписатися від усіх
manage-request-title = Керування розсилками
manage-request-sent = Якщо ця адреса є в нас, посилання для керування розсилками вже в дорозі. Перевірте пошту.
manage-request-unknown = Це посилання недійсне або вже застаріло. Попросіть нове нижче.
manage-request-intro = У кожному нашому листі є посилання на ваші налаштування. Загубили його? Ми надішлемо його ще раз.
manage-request-label = Ваша електронна адреса
manage-request-button = Надіслати мені посилання
manage-saved-all-heading = Ви відписалися від усіх розсилок
manage-saved-all-body = Ми більше не надсилатимемо розсилок на адресу { $email }.
manage-saved-undo = Скасувати й підписатися знову
manage-saved-heading = Ваш вибір збережено
manage-saved-receives = Адреса { $email } отримує:
manage-saved-none = Адреса { $email } не отримує від нас жодної розсилки.
manage-saved-change = Змінити вибір

## The confirmation email

confirm-email-subject = { $count ->
    [one] Підтвердьте підписку на «{ $newsletter }»
    [few] Підтвердьте підписку на { $count } розсилки
   *[other] Підтвердьте підписку на { $count } розсилок
}
confirm-email-hello = Вітаємо!
confirm-email-intro = Хтось (сподіваємося, що ви) попросив підписати цю адресу на:
confirm-email-open = Щоб підтвердити підписку, відкрийте це посилання:
confirm-email-copy = Якщо кнопка не працює, скопіюйте це посилання й вставте його в адресний рядок браузера:
confirm-email-expires = Посилання діє { $duration }.
confirm-email-ignore = Якщо ви не підписувалися, просто не зважайте на цей лист: підписки не буде.

## Digests and welcome emails

digest-subject = { $newsletter } — { $date }
digest-read-more = Читати далі
email-footer-reason = Ви отримуєте «{ $newsletter }» ({ $site }), бо підписалися на цю розсилку.
email-footer-manage = Керувати розсилками
email-footer-unsubscribe = Відписатися

## The email with a reader's preference link

manage-email-subject = Ваше посилання для керування розсилками
manage-email-heading = Керування розсилками
manage-email-intro = Хтось (сподіваємося, що ви) попросив посилання для керування розсилками, які отримує ця адреса.
manage-email-open = Відкрийте його, щоб обрати розсилки або змінити ім’я:
manage-email-button = Обрати розсилки
manage-email-keep = Нікому його не пересилайте: будь-хто з цим посиланням може змінити ваші підписки. Якщо ви не просили посилання, просто не зважайте на цей лист: нічого не змінилося.

## Стрічка новин (/news) і її Atom-стрічка

news-title = Стрічка новин
news-empty = Новин поки немає. Зазирніть пізніше.
news-more = Більше новин
news-pages = Інші сторінки
news-atom = Стежити за новинами (Atom-стрічка)
news-feed-title = { $site }: новини
news-page-invalid-title = Такої сторінки немає
news-page-invalid-message = Номер сторінки вказано неправильно.
news-page-past-end-title = Такої сторінки немає
news-page-past-end-message = Так далеко стрічка не сягає.
news-first-page = На першу сторінку

## Архів надісланих випусків розсилки

archive-link = Архів випусків
archive-title = { $newsletter }: архів розсилки
archive-heading = Архів розсилки «{ $newsletter }»
archive-empty = Ще не надіслано жодного випуску.
archive-older = Попередні випуски
archive-atom = Стежити за новими випусками (Atom-стрічка)
archive-subscribe = Підписатися на «{ $newsletter }»
archive-back = Усі випуски «{ $newsletter }»
archive-copy-title = «{ $subject }» — так, як його отримали підписники
archive-not-found-title = В архіві цього немає
archive-not-found-message = За цією адресою немає ні архіву, ні такого випуску.
archive-see-newsletter = Перейти до розсилки
