//! Signup, the confirmation email and confirming: the double opt-in.

mod confirming;
mod repeats;
