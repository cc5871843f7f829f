//! The states a subscription, a digest and a queued message move through,
//! and the kinds of message, as enums: parsed once where text comes in (a
//! query, a database row), compared as values everywhere else.

use std::fmt;
use std::str::FromStr;

/// Declares a string-backed enum: `as_str`, `FromStr`, `Display`, serde
/// as the names given (`hard_bounce`), and a message listing the names for refusals.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// "a, b or c": the names, for a refusal's message.
            pub fn names() -> String {
                let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                match all.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => all.join(""),
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(s: String) -> Result<Self, UnknownValue> {
                s.parse()
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<DB>>::decode(value)?;
                Ok(text.parse::<$name>().map_err(|_| format!("unknown {} `{text}`", stringify!($name)))?)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A value that names none of an enum's variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown value")]
pub struct UnknownValue;

text_enum!(
    /// Where one address stands with one newsletter.
    SubscriptionStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Unsubscribed = "unsubscribed",
        /// The address bounced: no more mail until it is lifted.
        Bounced = "bounced",
        /// The reader reported the mail as spam.
        Complained = "complained",
    }
);

text_enum!(
    /// Why an address is suppressed.
    SuppressionReason {
        /// A permanent (5xx) refusal, at send time or in a bounce report.
        HardBounce = "hard_bounce",
        /// Temporary failures that ended three digests' deliveries as failed.
        SoftBounce = "soft_bounce",
        /// A spam complaint (an ARF report or a provider's event).
        Complained = "complained",
    }
);

impl SuppressionReason {
    /// The status the address's subscriptions take.
    pub fn status(self) -> SubscriptionStatus {
        match self {
            SuppressionReason::Complained => SubscriptionStatus::Complained,
            _ => SubscriptionStatus::Bounced,
        }
    }
}

text_enum!(
    /// A digest's life: queued, sending, paused, then sent or cancelled.
    DigestStatus {
        Queued = "queued",
        Sending = "sending",
        Paused = "paused",
        Sent = "sent",
        Cancelled = "cancelled",
    }
);

impl DigestStatus {
    /// Nothing more will happen to it.
    pub fn is_finished(self) -> bool {
        matches!(self, DigestStatus::Sent | DigestStatus::Cancelled)
    }
}

text_enum!(
    /// One queued message's state in the delivery queue.
    MessageStatus {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Skipped = "skipped",
        /// Its digest was cancelled before its turn.
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// What became of one slot of a newsletter's schedule.
    RunStatus {
        /// Claimed by a process that is creating its digest now.
        Running = "running",
        /// Its digest went out (`digest_id`).
        Sent = "sent",
        /// Too few new items.
        Skipped = "skipped",
        /// Passed while no process ran, longer ago than the grace.
        Missed = "missed",
    }
);

text_enum!(
    /// What a queued message is.
    MessageKind {
        /// A double opt-in confirmation.
        Confirm = "confirm",
        /// One reader's copy of a digest.
        Digest = "digest",
        /// A newsletter's welcome, once a subscription is confirmed.
        Welcome = "welcome",
        /// The link to a reader's preference page, asked for by address.
        Manage = "manage",
        /// A digest sent to one editor before the real one.
        Test = "test",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(s.as_str().parse::<SubscriptionStatus>(), Ok(*s));
        }
        for s in DigestStatus::ALL {
            assert_eq!(s.to_string().parse::<DigestStatus>(), Ok(*s));
        }
        assert_eq!("Pending".parse::<SubscriptionStatus>(), Err(UnknownValue));
        assert_eq!(
            SubscriptionStatus::names(),
            "pending, confirmed, unsubscribed, bounced or complained"
        );
        // Serde writes the same text as the database, underscores and all.
        assert_eq!(
            serde_json::to_string(&SuppressionReason::HardBounce).unwrap(),
            "\"hard_bounce\""
        );
        for r in SuppressionReason::ALL {
            assert_eq!(r.as_str().parse::<SuppressionReason>(), Ok(*r));
        }
        assert_eq!(
            SuppressionReason::Complained.status(),
            SubscriptionStatus::Complained
        );
        assert_eq!(
            SuppressionReason::SoftBounce.status(),
            SubscriptionStatus::Bounced
        );
        assert_eq!(
            serde_json::to_string(&MessageKind::Confirm).unwrap(),
            "\"confirm\""
        );
        assert!(DigestStatus::Cancelled.is_finished() && !DigestStatus::Paused.is_finished());
    }
}
