//! The recipient-control use cases, for the API, the pages and the webhooks alike: what a
//! user chose and may choose, changing it (recorded in the consent record, with where the
//! change came from), SMS keywords, and one-click unsubscribe.

use crate::app::{ApiError, ApiResult, AppState};
use crate::domain::{Category, Channel, LocalTime, QuietHours, CHOOSABLE};
use crate::notify::choices::Rules;
use crate::store::preferences::{self as stored, ConsentChange, ConsentRecord, Source};
use crate::store::users::User;
use crate::store::Conn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One category: whether each channel is on, and whether it may be turned off entirely.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryChoice {
    pub category: Category,
    /// At least one of email and SMS must stay on (`preferences.required`).
    pub required: bool,
    pub email: bool,
    pub sms: bool,
    /// Notifications in the browsers where the user turned them on.
    pub push: bool,
    /// WhatsApp, once the user agreed to it.
    pub whatsapp: bool,
}

/// Quiet hours as they apply to the user, and the range they may choose in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuietHoursView {
    #[schema(value_type = String, example = "21:00")]
    pub start: LocalTime,
    #[schema(value_type = String, example = "08:00")]
    pub end: LocalTime,
    /// Whether these are the user's own (else the clinic's).
    pub own: bool,
    #[schema(value_type = [String; 2])]
    pub start_between: [LocalTime; 2],
    #[schema(value_type = [String; 2])]
    pub end_between: [LocalTime; 2],
    /// The zone they are read in: the user's.
    pub time_zone: String,
}

/// `GET /api/v1/me/preferences`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreferenceView {
    pub categories: Vec<CategoryChoice>,
    pub quiet_hours: QuietHoursView,
    /// The user's number answered STOP: no SMS until it answers START.
    pub sms_opted_out: bool,
    /// Whether the clinic offers WhatsApp, and whether the user agreed to it.
    pub whatsapp_available: bool,
    pub whatsapp_agreed: bool,
    /// Browsers (or devices) where the user turned notifications on.
    pub push_browsers: i64,
}

/// `PUT /api/v1/me/preferences`: only what is given changes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceChange {
    /// Per category, the channels to turn on (`true`) or off (`false`).
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"reminders": {"sms": false}}))]
    pub channels: BTreeMap<Category, BTreeMap<Channel, bool>>,
    /// The user's own quiet hours; `null` goes back to the clinic's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, example = json!({"start": "22:00", "end": "07:00"}))]
    pub quiet_hours: Option<Option<QuietHours>>,
    /// Agree to WhatsApp messages (`true`, needs a phone number and a clinic that offers
    /// them) or withdraw (`false`).
    #[serde(default)]
    pub whatsapp: Option<bool>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn rules(state: &AppState) -> Rules {
    Rules::from_settings(&state.settings)
}

pub async fn view(state: &AppState, c: &mut Conn, user: &User) -> ApiResult<PreferenceView> {
    let rules = rules(state);
    let stored::Chosen {
        choices: chosen,
        own_quiet_hours: own,
        sms_opted_out,
        ..
    } = stored::chosen_by(c, user.id).await?;
    let sms_opted_out = user.phone.is_some() && sms_opted_out;
    let q = &state.settings.quiet_hours;
    let hours = own.unwrap_or(rules.quiet_hours);
    Ok(PreferenceView {
        categories: Category::CHOOSABLE
            .iter()
            .map(|k| CategoryChoice {
                category: *k,
                required: rules.is_required(*k),
                email: rules.enabled(&chosen, *k, Channel::Email),
                sms: rules.enabled(&chosen, *k, Channel::Sms),
                push: rules.enabled(&chosen, *k, Channel::Push),
                whatsapp: rules.enabled(&chosen, *k, Channel::WhatsApp),
            })
            .collect(),
        quiet_hours: QuietHoursView {
            start: hours.start,
            end: hours.end,
            own: own.is_some(),
            start_between: q.start_between,
            end_between: q.end_between,
            time_zone: user.time_zone.name().to_owned(),
        },
        sms_opted_out,
        whatsapp_available: state.settings.whatsapp.configured(),
        // Read again: the user may have just agreed in this transaction.
        whatsapp_agreed: crate::store::users::whatsapp_opt_in(c, user.id)
            .await?
            .is_some(),
        push_browsers: crate::store::push::of_user(c, user.id).await?.len() as i64,
    })
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Applies a change in one transaction and appends every real change to the consent
/// record. `actor` is who made it, when not the user (an admin, on their request).
pub async fn change(
    state: &AppState,
    user: &User,
    change: &PreferenceChange,
    source: Source,
    actor: Option<i64>,
) -> ApiResult<PreferenceView> {
    let rules = rules(state);
    let now = state.clock.now();
    if let Some(Some(h)) = change.quiet_hours {
        let q = &state.settings.quiet_hours;
        let [s0, s1] = q.start_between;
        let [e0, e1] = q.end_between;
        let within = |t, low, high| low <= t && t <= high;
        if !(within(h.start, s0, s1) && within(h.end, e0, e1)) {
            return Err(ApiError::unprocessable(format!(
                "quiet_hours: start between {s0} and {s1}, end between {e0} and {e1}"
            )));
        }
    }
    let mut tx = state.store.begin().await?;
    let backend = tx.backend();
    let c = tx.conn();
    // One change of a user's choices at a time, so two at once cannot both record the
    // same "on → off" (SQLite's write lock already does this; PostgreSQL needs the row).
    crate::store::users::lock(c, backend, user.id).await?;
    let chosen = stored::choices(c, user.id).await?;
    let mut changed = false;
    for (category, channels) in &change.channels {
        if !category.is_choosable() {
            return Err(ApiError::unprocessable(format!(
                "channels.{}: account messages (a password reset) cannot be turned off",
                category.as_str()
            )));
        }
        for channel in channels.keys() {
            if !CHOOSABLE.contains(channel) {
                return Err(ApiError::unprocessable(format!(
                    "channels.{}.{}: in-app is always on; choose email or sms",
                    category.as_str(),
                    channel.as_str()
                )));
            }
        }
        if rules.is_required(*category) {
            let after = |ch: Channel| {
                channels
                    .get(&ch)
                    .copied()
                    .unwrap_or_else(|| rules.enabled(&chosen, *category, ch))
            };
            if !after(Channel::Email) && !after(Channel::Sms) {
                return Err(ApiError::unprocessable(format!(
                    "channels.{}: keep email or SMS on; the clinic needs one way to reach you about this",
                    category.as_str()
                )));
            }
        }
        for (channel, on) in channels {
            let before = rules.enabled(&chosen, *category, *channel);
            stored::set_choice(c, user.id, *category, *channel, *on, now).await?;
            if before != *on {
                changed = true;
                stored::record(
                    c,
                    &ConsentChange {
                        user_id: Some(user.id),
                        phone: None,
                        channel: channel.as_str(),
                        category: Some(category.as_str()),
                        old_value: on_off(before),
                        new_value: on_off(*on),
                        source,
                        actor_id: actor,
                    },
                    now,
                )
                .await?;
            }
        }
    }
    if let Some(hours) = change.quiet_hours {
        let before = stored::own_quiet_hours(c, user.id).await?;
        let show = |h: Option<QuietHours>| match h {
            Some(h) => format!("{}-{}", h.start, h.end),
            None => "clinic".to_owned(),
        };
        stored::set_quiet_hours(c, user.id, hours).await?;
        if before != hours {
            changed = true;
            stored::record(
                c,
                &ConsentChange {
                    user_id: Some(user.id),
                    phone: None,
                    channel: "all",
                    category: Some("quiet_hours"),
                    old_value: &show(before),
                    new_value: &show(hours),
                    source,
                    actor_id: actor,
                },
                now,
            )
            .await?;
        }
    }
    if let Some(agree) = change.whatsapp {
        let before = crate::store::users::whatsapp_opt_in(c, user.id)
            .await?
            .is_some();
        if agree && before != agree {
            if !state.settings.whatsapp.configured() {
                return Err(ApiError::unprocessable(
                    "whatsapp: the clinic does not offer WhatsApp",
                ));
            }
            if user.phone.is_none() {
                return Err(ApiError::unprocessable(
                    "whatsapp: add a phone number first",
                ));
            }
        }
        if before != agree {
            changed = true;
            crate::store::users::set_whatsapp_opt_in(c, user.id, agree.then_some(now)).await?;
            stored::record(
                c,
                &ConsentChange {
                    user_id: Some(user.id),
                    phone: user.phone.as_ref().map(|p| p.as_str()),
                    channel: Channel::WhatsApp.as_str(),
                    category: None,
                    old_value: on_off(before),
                    new_value: on_off(agree),
                    source,
                    actor_id: actor,
                },
                now,
            )
            .await?;
        }
    }
    if changed {
        let event = crate::store::audit::NewEvent {
            actor_id: Some(actor.unwrap_or(user.id)).filter(|_| source != Source::UnsubscribeLink),
            action: "preferences.changed",
            subject_user_id: Some(user.id),
            target: Some(format!("via {}", source.as_str())),
            ..Default::default()
        };
        crate::store::audit::append(tx.conn(), &event, now).await?;
    }
    let answer = view(state, tx.conn(), user).await?;
    tx.commit().await?;
    Ok(answer)
}

pub async fn record_of(c: &mut Conn, user_id: i64) -> ApiResult<Vec<ConsentRecord>> {
    Ok(stored::records_of(c, user_id).await?)
}

/// What an inbound SMS asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
    Other,
}

impl Keyword {
    /// The standard opt-out, opt-in and help words, in any case, spaces around ignored.
    pub fn of(body: &str) -> Keyword {
        match body.trim().to_ascii_uppercase().as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE"
            | "OPTOUT" => Keyword::Stop,
            "START" | "UNSTOP" => Keyword::Start,
            "HELP" => Keyword::Help,
            _ => Keyword::Other,
        }
    }
}

/// Acts on a reply from `phone` and gives the one text to answer with (`None`: no
/// answer). STOP opts the number out at once, START back in, HELP names the clinic.
pub async fn sms_reply(state: &AppState, phone: &str, body: &str) -> ApiResult<Option<String>> {
    let keyword = Keyword::of(body);
    let now = state.clock.now();
    let language = {
        let mut c = state.store.acquire().await?;
        let users = stored::users_with_phone(&mut c, phone).await?;
        match users.first() {
            Some(id) => crate::store::users::get(&mut c, *id)
                .await?
                .map(|u| u.language)
                .unwrap_or_default(),
            None => Default::default(),
        }
    };
    let changed = match keyword {
        Keyword::Stop | Keyword::Start => {
            let mut tx = state.store.begin().await?;
            let c = tx.conn();
            let changed = if keyword == Keyword::Stop {
                stored::opt_out(c, phone, now).await?
            } else {
                stored::opt_in(c, phone).await?
            };
            if changed {
                let users = stored::users_with_phone(c, phone).await?;
                let (old, new) = if keyword == Keyword::Stop {
                    ("on", "off")
                } else {
                    ("off", "on")
                };
                // One entry per account with the number, or one for the number alone.
                let owners: Vec<Option<i64>> = if users.is_empty() {
                    vec![None]
                } else {
                    users.into_iter().map(Some).collect()
                };
                let action = if keyword == Keyword::Stop {
                    "sms.opted_out"
                } else {
                    "sms.opted_in"
                };
                for user_id in &owners {
                    let event = crate::store::audit::NewEvent {
                        action,
                        subject_user_id: *user_id,
                        target: Some("via sms_keyword".to_owned()),
                        ..Default::default()
                    };
                    crate::store::audit::append(c, &event, now).await?;
                }
                for user_id in owners {
                    stored::record(
                        c,
                        &ConsentChange {
                            user_id,
                            phone: Some(phone),
                            channel: "sms",
                            category: None,
                            old_value: old,
                            new_value: new,
                            source: Source::SmsKeyword,
                            actor_id: None,
                        },
                        now,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            changed
        }
        _ => false,
    };
    let id = match keyword {
        Keyword::Stop => "sms-stopped",
        Keyword::Start => "sms-started",
        Keyword::Help => "sms-help",
        // Another reply is not a keyword; later issues answer it.
        Keyword::Other => return Ok(None),
    };
    tracing::info!(keyword = ?keyword, changed, "sms keyword");
    let clinic = &state.settings.clinic;
    let mut args = crate::catalogue::Args::new();
    args.set("clinic", clinic.name.clone());
    args.set(
        "phone",
        clinic.phone.clone().unwrap_or_else(|| "none".to_owned()),
    );
    Ok(state
        .templates
        .catalogue()
        .try_format(language, id, None, Some(&args))
        .ok()
        .flatten())
}

/// One-click unsubscribe: turns `channel` off for `category` (idempotent).
pub async fn unsubscribe(
    state: &AppState,
    user_id: i64,
    category: Category,
    channel: Channel,
) -> ApiResult<()> {
    let mut c = state.store.acquire().await?;
    let user = crate::store::users::get(&mut c, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))?;
    drop(c);
    let mut channels = BTreeMap::new();
    channels.insert(channel, false);
    let mut by_category = BTreeMap::new();
    by_category.insert(category, channels);
    let wanted = PreferenceChange {
        channels: by_category,
        quiet_hours: None,
        whatsapp: None,
    };
    match change(state, &user, &wanted, Source::UnsubscribeLink, None).await {
        Ok(_) => Ok(()),
        // A required category keeps its last channel; the link then changes nothing.
        Err(ApiError::Client { status, .. }) if status.as_u16() == 422 => Ok(()),
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/me/push-subscriptions`: a browser's push subscription, as
/// `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PushSubscriptionInput {
    /// The push service's address for this browser.
    pub endpoint: String,
    pub keys: PushKeys,
    /// What browser it is, to tell the user's browsers apart.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Set by browsers; not used.
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<f64>)]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

/// `DELETE /api/v1/me/push-subscriptions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushEndpoint {
    pub endpoint: String,
}

fn push_record(user: &User, before: usize, after: usize) -> ConsentChange<'static> {
    let count = |n: usize| match n {
        0 => "off",
        _ => "on",
    };
    ConsentChange {
        user_id: Some(user.id),
        phone: None,
        channel: Channel::Push.as_str(),
        category: None,
        old_value: count(before),
        new_value: count(after),
        source: Source::Api,
        actor_id: None,
    }
}

/// Records a browser that turned notifications on (its keys checked first).
pub async fn subscribe_push(
    state: &AppState,
    user: &User,
    input: &PushSubscriptionInput,
) -> ApiResult<()> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let endpoint = reqwest::Url::parse(input.endpoint.trim())
        .map_err(|e| ApiError::unprocessable(format!("endpoint: {e}")))?;
    let secure = endpoint.scheme() == "https"
        || (endpoint.scheme() == "http" && state.settings.push.allow_http);
    if !secure || input.endpoint.len() > 2_000 {
        return Err(ApiError::unprocessable(
            "endpoint: a push service's https:// address",
        ));
    }
    let decode = |v: &str| URL_SAFE_NO_PAD.decode(v.trim().trim_end_matches('='));
    let key_ok = decode(&input.keys.p256dh)
        .ok()
        .is_some_and(|k| k.len() == 65 && k[0] == 4);
    let auth_ok = decode(&input.keys.auth).ok().is_some_and(|a| a.len() == 16);
    if !key_ok || !auth_ok {
        return Err(ApiError::unprocessable(
            "keys: p256dh must be an uncompressed P-256 point and auth 16 bytes, both base64url",
        ));
    }
    let agent = input.user_agent.as_deref().map(|a| {
        a.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    });
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let c = tx.conn();
    let before = crate::store::push::of_user(c, user.id).await?.len();
    crate::store::push::upsert(
        c,
        user.id,
        endpoint.as_str(),
        input.keys.p256dh.trim(),
        input.keys.auth.trim(),
        agent.as_deref(),
        now,
    )
    .await?;
    let after = crate::store::push::of_user(c, user.id).await?.len();
    if after != before {
        stored::record(c, &push_record(user, before, after), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets one of the user's browsers (notifications turned off there).
pub async fn unsubscribe_push(state: &AppState, user: &User, endpoint: &str) -> ApiResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let c = tx.conn();
    let before = crate::store::push::of_user(c, user.id).await?.len();
    if !crate::store::push::remove(c, user.id, endpoint.trim()).await? {
        return Err(ApiError::not_found("push subscription"));
    }
    stored::record(c, &push_record(user, before, before - 1), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The user's browsers that take notifications.
pub async fn push_subscriptions(
    state: &AppState,
    user: &User,
) -> ApiResult<Vec<crate::store::push::Subscription>> {
    let mut c = state.store.acquire().await?;
    Ok(crate::store::push::of_user(&mut c, user.id).await?)
}
