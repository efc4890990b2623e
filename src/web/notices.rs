//! The notice pages: the list with the form to write one (admins choose any audience;
//! practitioners write to their patients of a day, also from their own page), and a
//! notice's page: the confirmation step (who and how many), then its progress, with a
//! button to stop it.

use super::session::{finish, Action, PageError, PageResult, Viewer};
use super::view::{frame, html, short_time, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::domain::{Language, Role};
use crate::notices::{self, AudienceInput, NoticeInput, NoticeView, TextInput};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use minijinja::{context, Value};
use serde::Serialize;
use std::collections::BTreeMap;

fn senders_only(viewer: &Viewer) -> Result<(), PageError> {
    match viewer.user.role {
        Role::Admin | Role::Practitioner => Ok(()),
        Role::Patient => Err(PageError::Redirect("/dashboard".into())),
    }
}

#[derive(Serialize)]
struct Row {
    id: i64,
    state: &'static str,
    title: String,
    audience: &'static str,
    size: i64,
    planned: i64,
    sent: i64,
    failed: i64,
    sender: String,
    created: String,
}

#[derive(Serialize)]
struct Choice {
    id: i64,
    name: String,
}

/// `GET /notices`: notices newest first (an admin's every one, a practitioner's own) and
/// the form to write one.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    senders_only(&viewer)?;
    let user = &viewer.user;
    let found = notices::list(&state, user, None, 50).await?;
    let rows: Vec<Row> = found
        .iter()
        .map(|n| Row {
            id: n.id,
            state: n.state.as_str(),
            title: first_title(n),
            audience: n.audience.kind,
            size: n.audience_size,
            planned: n.progress.planned,
            sent: n.progress.email.sent + n.progress.sms.sent,
            failed: n.progress.email.failed + n.progress.sms.failed,
            sender: n.sender.name.clone(),
            created: short_time(n.created_at, user),
        })
        .collect();
    let practitioners: Vec<Choice> = if user.role == Role::Admin {
        let mut c = state.store.acquire().await?;
        crate::directory::practitioners(&mut c)
            .await?
            .into_iter()
            .map(|p| Choice {
                id: p.id,
                name: p.name.as_str().to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let base = frame(&state, &viewer, "/notices", &outcome).await?;
    let body = state.pages.render(
        "notices.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                notices => Value::from_serialize(&rows),
                practitioners => Value::from_serialize(&practitioners),
                today => today(&state, user),
                languages => text_languages(user),
            }
        },
    )?;
    Ok(html(body))
}

/// The languages the form asks texts in: an admin's every one (their own first), a
/// practitioner's own.
pub(super) fn text_languages(user: &crate::store::users::User) -> Vec<&'static str> {
    let mut out = vec![user.language.code()];
    if user.role == Role::Admin {
        out.extend(
            Language::ALL
                .iter()
                .map(|l| l.code())
                .filter(|c| *c != user.language.code()),
        );
    }
    out
}

/// Today on the user's clock, `YYYY-MM-DD`.
pub(super) fn today(state: &AppState, user: &crate::store::users::User) -> String {
    state
        .clock
        .now()
        .to_datetime()
        .with_timezone(&user.time_zone.tz())
        .date_naive()
        .to_string()
}

fn first_title(n: &NoticeView) -> String {
    n.texts
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|t| t["title"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// What the form posts: `audience`, `practitioner_id`, `date`, `severity`, the `email` and
/// `sms` boxes, and a title and text per language (`title_en`, `message_en`, …).
pub type NoticeForm = Vec<(String, String)>;

fn input_of(form: &NoticeForm) -> Result<NoticeInput, ApiError> {
    let bad = |what: &str| ApiError::unprocessable(what.to_owned());
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let practitioner_id = field("practitioner_id")
        .map(|p| {
            p.parse::<i64>()
                .map_err(|_| bad("practitioner_id: not a number"))
        })
        .transpose()?;
    let date = field("date").unwrap_or_default();
    let audience = match field("audience").as_deref().unwrap_or("booked_on") {
        "everyone" => AudienceInput::Everyone,
        "patients" => AudienceInput::Patients,
        "practitioners" => AudienceInput::Practitioners,
        "patients_of" => AudienceInput::PatientsOf {
            practitioner_id: practitioner_id.ok_or_else(|| bad("choose the practitioner"))?,
        },
        "booked_on" => AudienceInput::BookedOn {
            date,
            practitioner_id,
        },
        "users" => AudienceInput::Users {
            user_ids: field("user_ids")
                .unwrap_or_default()
                .split(',')
                .filter(|t| !t.is_empty())
                .map(|t| t.parse().map_err(|_| bad("people: not an account")))
                .collect::<Result<_, _>>()?,
        },
        other => return Err(bad(&format!("unknown audience {other:?}"))),
    };
    let mut texts = BTreeMap::new();
    for lang in Language::ALL {
        let code = lang.code();
        match (
            field(&format!("title_{code}")),
            field(&format!("message_{code}")),
        ) {
            (Some(title), Some(message)) => {
                texts.insert(code.to_owned(), TextInput { title, message });
            }
            (None, None) => {}
            _ => return Err(bad(&format!("give both the title and the text in {code}"))),
        }
    }
    let channels = ["email", "sms"]
        .into_iter()
        .filter(|c| field(c).is_some())
        .map(str::to_owned)
        .collect();
    Ok(NoticeInput {
        texts,
        severity: field("severity"),
        channels: Some(channels),
        audience,
    })
}

/// The people a form names (`people`: emails or account numbers, separated by commas,
/// spaces or lines), as account ids in the `user_ids` field.
async fn resolve_people(state: &AppState, form: &mut NoticeForm) -> Result<(), ApiError> {
    let Some(people) = form
        .iter()
        .find(|(k, _)| k == "people")
        .map(|(_, v)| v.clone())
    else {
        return Ok(());
    };
    let mut ids = Vec::new();
    let mut c = state.store.acquire().await?;
    for token in people
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        let id = match token.parse::<i64>() {
            Ok(id) => id,
            Err(_) => crate::store::users::find_by_email(&mut c, token)
                .await?
                .map(|u| u.id)
                .ok_or_else(|| {
                    ApiError::unprocessable(format!("people: no account has {token}"))
                })?,
        };
        ids.push(id.to_string());
    }
    form.push(("user_ids".into(), ids.join(",")));
    Ok(())
}

/// `POST /notices`: writes the draft, then shows it for confirmation.
pub async fn draft(State(state): State<AppState>, mut action: Action<NoticeForm>) -> PageResult {
    senders_only(&action.viewer)?;
    if let Err(e) = resolve_people(&state, &mut action.form).await {
        return Ok(finish(&action.back, Err(e)));
    }
    let made = match input_of(&action.form) {
        Ok(input) => notices::draft(&state, &action.viewer.user, &input).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(n) => Ok(Redirect::to(&format!("/notices/{}", n.id)).into_response()),
        Err(e) => Ok(finish(&action.back, Err(e))),
    }
}

#[derive(Serialize)]
struct TextView {
    lang: String,
    dir: &'static str,
    title: String,
    message: String,
}

/// `GET /notices/{id}`: the confirmation step of a draft, or the progress of a notice.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    senders_only(&viewer)?;
    let user = &viewer.user;
    let n = notices::one(&state, user, id).await?;
    let texts: Vec<TextView> = n
        .texts
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(lang, t)| TextView {
                    dir: if lang == "ar" { "rtl" } else { "ltr" },
                    lang: lang.clone(),
                    title: t["title"].as_str().unwrap_or_default().to_owned(),
                    message: t["message"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let practitioner = match n.audience.practitioner_id {
        Some(p) => {
            let mut c = state.store.acquire().await?;
            crate::store::users::get(&mut c, p)
                .await?
                .map(|u| u.name.as_str().to_owned())
        }
        None => None,
    };
    let when = |t: Option<crate::domain::Timestamp>| t.map(|t| short_time(t, user));
    // Something is still to stop: being written, or deliveries still waiting.
    let p = &n.progress;
    let waiting = p.email.pending + p.email.sending + p.sms.pending + p.sms.sending;
    let stoppable = match n.state {
        crate::domain::notice::NoticeState::Sending => true,
        crate::domain::notice::NoticeState::Sent => waiting > 0 || p.shown < p.planned,
        _ => false,
    };
    let back = format!("/notices/{id}");
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "notice.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                n => Value::from_serialize(&n),
                texts => Value::from_serialize(&texts),
                practitioner => practitioner,
                from => when(n.audience.from),
                until => when(n.audience.until),
                created => short_time(n.created_at, user),
                confirmed => when(n.confirmed_at),
                stoppable => stoppable,
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /notices/{id}/send`: the confirmation.
pub async fn send(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    senders_only(&action.viewer)?;
    let outcome = notices::send(&state, &action.viewer.user, id)
        .await
        .map(|_| "notice_sent");
    Ok(finish(&action.back, outcome))
}

/// `POST /notices/{id}/cancel`: discards a draft or stops a notice in flight.
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    senders_only(&action.viewer)?;
    let outcome = notices::cancel(&state, &action.viewer.user, id)
        .await
        .map(|_| "notice_cancelled");
    Ok(finish(&action.back, outcome))
}
