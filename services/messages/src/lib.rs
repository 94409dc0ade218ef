//! One way to say things. Every text a person reads (an API error, a page,
//! an SMS, an email) comes from a [`Catalogue`]: a service's messages in
//! [Project Fluent](https://projectfluent.org) files, one per language
//! (`messages/fr.ftl`, `en.ftl`, `ar.ftl` beside the service's `src/`).
//!
//! - A message has an identifier (`booking-taken`), named placeables
//!   (`{ $site }`) and, where a number changes the words, the language's
//!   plural rules (`{ $count -> [one] … *[other] … }`: French says "1
//!   place libre", "2 places libres"; Arabic has six forms).
//! - Each service owns its catalogue; nothing is shared but this crate.
//! - French is the fallback: a message missing in a language is said in
//!   French and logged, never left out.
//! - [`Catalogue::problems`] lists what a test must refuse: an identifier
//!   missing in a language, a translation that drops or invents a
//!   placeable, a file that does not parse.
//! - The language of the request being answered is a task-local
//!   ([`scope`], [`current`]): a service that refuses something says so in
//!   the caller's language without being told it.
//!
//! Placeables are not wrapped in Unicode isolation marks: they would cost
//! SMS segments (they are not GSM-7), and the pages set `dir` themselves.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

/// A catalogue that cannot be built: the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{catalogue} ({language}): the messages do not parse: {detail}")]
    Parse {
        catalogue: &'static str,
        language: &'static str,
        detail: String,
    },
    #[error("{catalogue} ({language}): {detail}")]
    Bundle {
        catalogue: &'static str,
        language: &'static str,
        detail: String,
    },
}

/// A language Créneau speaks. French is the default and the fallback.
/// (The events' `contracts::Language` converts into it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    Fr,
    En,
    Ar,
}

/// The languages a catalogue may hold.
pub const LANGUAGES: [Language; 3] = [Language::Fr, Language::En, Language::Ar];

/// The BCP 47 tag of a language.
pub fn tag(lang: Language) -> &'static str {
    match lang {
        Language::Fr => "fr",
        Language::En => "en",
        Language::Ar => "ar",
    }
}

impl Language {
    /// The language of a tag's primary subtag ("en-GB" is English), if
    /// Créneau speaks it.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "fr" => Some(Language::Fr),
            "en" => Some(Language::En),
            "ar" => Some(Language::Ar),
            _ => None,
        }
    }

    /// The caller's choice from an `Accept-Language` value: the spoken
    /// range with the highest weight, none when no range is spoken.
    pub fn from_accept_language(value: &str) -> Option<Language> {
        let mut best: Option<(f32, Language)> = None;
        for range in value.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = Language::from_tag(parts.next().unwrap_or_default()) else {
                continue;
            };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A value for a placeable: words, or a number that picks a plural form.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}
impl From<Cow<'_, str>> for Arg {
    fn from(s: Cow<'_, str>) -> Self {
        Arg::Text(s.into_owned())
    }
}
macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
number_arg!(i32, i64, u16, u32, u64, usize);

/// The placeables of one message: `("site", "Nord".into())`.
pub type Args<'a> = &'a [(&'a str, Arg)];

struct Bundle {
    language: Language,
    bundle: FluentBundle<FluentResource>,
    /// Message id → the variables its value uses.
    variables: BTreeMap<String, BTreeSet<String>>,
}

/// A service's messages in every language it speaks.
pub struct Catalogue {
    name: &'static str,
    bundles: Vec<Bundle>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("name", &self.name)
            .field(
                "languages",
                &self
                    .bundles
                    .iter()
                    .map(|b| tag(b.language))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Catalogue {
    /// Builds a catalogue from Fluent sources, French first.
    pub fn new(
        name: &'static str,
        sources: &[(Language, &'static str)],
    ) -> Result<Catalogue, CatalogueError> {
        let mut bundles = Vec::new();
        for (language, source) in sources {
            let lang_tag = tag(*language);
            let resource =
                FluentResource::try_new((*source).to_owned()).map_err(|(_, errors)| {
                    CatalogueError::Parse {
                        catalogue: name,
                        language: lang_tag,
                        detail: joined(&errors),
                    }
                })?;
            let variables = variables_of(&resource);
            let id: unic_langid::LanguageIdentifier =
                lang_tag.parse().map_err(|e| CatalogueError::Bundle {
                    catalogue: name,
                    language: lang_tag,
                    detail: format!("{e}"),
                })?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| CatalogueError::Bundle {
                    catalogue: name,
                    language: lang_tag,
                    detail: joined(&errors),
                })?;
            bundles.push(Bundle {
                language: *language,
                bundle,
                variables,
            });
        }
        Ok(Catalogue { name, bundles })
    }

    /// The catalogue's name (its service).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The languages it holds.
    pub fn languages(&self) -> Vec<Language> {
        self.bundles.iter().map(|b| b.language).collect()
    }

    /// Whether `id` is a message of the catalogue (in French).
    pub fn has(&self, id: &str) -> bool {
        self.bundles
            .first()
            .is_some_and(|b| b.variables.contains_key(id))
    }

    fn bundle(&self, lang: Language) -> Option<&Bundle> {
        self.bundles.iter().find(|b| b.language == lang)
    }

    /// Message `id` in `lang` (in French when that language lacks it),
    /// with its placeables filled from `args`.
    pub fn say(&self, lang: impl Into<Language>, id: &str, args: Args<'_>) -> String {
        let lang = lang.into();
        let wanted = self.bundle(lang);
        let found = wanted.filter(|b| b.variables.contains_key(id)).or_else(|| {
            if wanted.is_some() {
                tracing::warn!(
                    catalogue = self.name,
                    id,
                    language = tag(lang),
                    "message missing in this language: said in French"
                );
            }
            self.bundles
                .first()
                .filter(|b| b.variables.contains_key(id))
        });
        let Some(b) = found else {
            tracing::error!(catalogue = self.name, id, "no such message");
            debug_assert!(false, "{}: no message {id}", self.name);
            return id.to_owned();
        };
        let Some(pattern) = b.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        if let Some(expected) = b.variables.get(id) {
            for (name, _) in args {
                if !expected.contains(*name) {
                    tracing::error!(
                        catalogue = self.name,
                        id,
                        placeable = *name,
                        "a value is given for a placeable the message does not use"
                    );
                    debug_assert!(false, "{}: {id} has no placeable ${name}", self.name);
                }
            }
        }
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => fluent_args.set(*name, FluentValue::from(s.as_str())),
                Arg::Number(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = b
            .bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned();
        if !errors.is_empty() {
            tracing::error!(catalogue = self.name, id, errors = ?errors, "a message could not be filled in");
            debug_assert!(false, "{}: {id}: {errors:?}", self.name);
        }
        text
    }

    /// Message `id` in the language of the request being answered.
    pub fn now(&self, id: &str, args: Args<'_>) -> String {
        self.say(current(), id, args)
    }

    /// What a test must refuse: every identifier of French missing in a
    /// language of `required` (or present there and not in French), and
    /// every translation whose placeables differ from the French ones.
    pub fn problems(&self, required: &[Language]) -> Vec<String> {
        let mut out = Vec::new();
        let Some(french) = self.bundles.first() else {
            return vec![format!("{}: no messages at all", self.name)];
        };
        for lang in required {
            let Some(b) = self.bundle(*lang) else {
                out.push(format!("{}: no {} file", self.name, tag(*lang)));
                continue;
            };
            for (id, vars) in &french.variables {
                match b.variables.get(id) {
                    None => out.push(format!("{}: {id} is missing in {}", self.name, tag(*lang))),
                    Some(v) if v != vars => out.push(format!(
                        "{}: {id} in {} uses {{{}}} where French uses {{{}}}",
                        self.name,
                        tag(*lang),
                        v.iter().cloned().collect::<Vec<_>>().join(", "),
                        vars.iter().cloned().collect::<Vec<_>>().join(", ")
                    )),
                    Some(_) => {}
                }
            }
            for id in b.variables.keys() {
                if !french.variables.contains_key(id) {
                    out.push(format!(
                        "{}: {id} is in {} but not in French",
                        self.name,
                        tag(*lang)
                    ));
                }
            }
        }
        out
    }

    /// The identifiers no source names: each id must appear quoted
    /// (`"book-title"`) in `sources`, or start with one of `built` (ids the
    /// code puts together, like `weekday-` and a number).
    pub fn unused(&self, sources: &str, built: &[&str]) -> Vec<String> {
        self.ids()
            .into_iter()
            .filter(|id| {
                !sources.contains(&format!("\"{id}\"")) && !built.iter().any(|p| id.starts_with(p))
            })
            .collect()
    }

    /// Every message identifier (from French).
    pub fn ids(&self) -> Vec<String> {
        self.bundles
            .first()
            .map(|b| b.variables.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Errors of a parse or a bundle, on one line.
fn joined<E: std::fmt::Debug>(errors: &[E]) -> String {
    errors
        .iter()
        .map(|e| format!("{e:?}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Message id → the variables its value uses (selectors included).
fn variables_of(resource: &FluentResource) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in resource.entries() {
        if let ast::Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_vars(p, &mut vars);
            }
            out.insert(m.id.name.to_owned(), vars);
        }
    }
    out
}

fn pattern_vars(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for e in &p.elements {
        if let ast::PatternElement::Placeable { expression } = e {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Inline(i) => inline_vars(i, vars),
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
    }
}

fn inline_vars(e: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline_vars(a, vars);
            }
            for n in &arguments.named {
                inline_vars(&n.value, vars);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

tokio::task_local! {
    static LANG: Language;
}

/// What is said outside any request (0 French, 1 English, 2 Arabic).
static DEFAULT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// The language of the request being answered; outside a request, the
/// process's default (French unless [`set_default`] chose another: the
/// command line speaks its operator's locale).
pub fn current() -> Language {
    LANG.try_with(|l| *l).unwrap_or_else(|_| {
        match DEFAULT.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Language::En,
            2 => Language::Ar,
            _ => Language::Fr,
        }
    })
}

/// Sets what this process says outside any request.
pub fn set_default(lang: Language) {
    let n = match lang {
        Language::Fr => 0,
        Language::En => 1,
        Language::Ar => 2,
    };
    DEFAULT.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The language of a POSIX locale environment (`LC_ALL`, `LC_MESSAGES`,
/// `LANG`, the first set): `fr_FR.UTF-8` is French; none, `C` or `POSIX`
/// is none.
pub fn from_locale_env() -> Option<Language> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| Language::from_tag(&v))
}

/// Runs `f` answering in `lang`: what [`Catalogue::now`] says inside.
pub async fn scope<F: Future>(lang: Language, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// The text of every `.rs` file under `dir`, for [`Catalogue::unused`].
pub fn sources_under(dir: &std::path::Path) -> String {
    let mut out = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            out.push_str(&sources_under(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
}

/// Builds a service's catalogue from its `messages/` folder, once: a file
/// that does not parse is a build of the service that cannot start, and
/// its test says which line.
///
/// ```ignore
/// messages::catalogue!(MESSAGES, "appointments", fr, en); // messages/fr.ftl, en.ftl
/// messages::catalogue!(STAFF, "web-staff", "staff", fr, en); // messages/staff/…
/// ```
#[macro_export]
macro_rules! catalogue {
    ($static:ident, $name:literal, $folder:literal, $($lang:ident),+) => {
        pub static $static: std::sync::LazyLock<$crate::Catalogue> = std::sync::LazyLock::new(|| {
            $crate::Catalogue::new(
                $name,
                &[$(($crate::language!($lang), include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/messages/", $folder, "/", stringify!($lang), ".ftl")))),+],
            )
            .unwrap_or_else(|e| panic!("{e}"))
        });
    };
    ($static:ident, $name:literal, $($lang:ident),+) => {
        $crate::catalogue!($static, $name, ".", $($lang),+);
    };
}

/// A message of `$catalogue` in the language of the request being
/// answered, its placeables given by name (each value is shown with its
/// `Display`; give a count to [`Catalogue::now`] as a number instead, for
/// its plural):
///
/// ```ignore
/// messages::say!(crate::MESSAGES, "no-site", site = id)
/// ```
#[macro_export]
macro_rules! say {
    ($catalogue:expr, $id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $catalogue.now($id, &[$((stringify!($name), $crate::Arg::Text(($value).to_string()))),*])
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! language {
    (fr) => {
        $crate::Language::Fr
    };
    (en) => {
        $crate::Language::En
    };
    (ar) => {
        $crate::Language::Ar
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Catalogue {
        Catalogue::new(
            "sample",
            &[
                (
                    Language::Fr,
                    "free = { $count ->\n    [one] { $count } place libre\n   *[other] { $count } places libres\n}\nhello = Bonjour { $name }\nonly-fr = Seulement en français\n",
                ),
                (
                    Language::En,
                    "free = { $count ->\n    [one] { $count } free place\n   *[other] { $count } free places\n}\nhello = Hello\n",
                ),
                (
                    Language::Ar,
                    "free = { $count ->\n    [zero] لا أماكن\n    [one] مكان واحد\n    [two] مكانان\n    [few] { $count } أماكن\n   *[other] { $count } مكانًا\n}\nhello = مرحبا { $name }\nonly-fr = فقط\n",
                ),
            ],
        )
        .expect("parses")
    }

    #[test]
    fn plurals_follow_each_language() {
        let c = sample();
        let n = |lang, k: i64| c.say(lang, "free", &[("count", k.into())]);
        assert_eq!(n(Language::Fr, 0), "0 place libre", "French: 0 is singular");
        assert_eq!(n(Language::Fr, 1), "1 place libre");
        assert_eq!(n(Language::Fr, 2), "2 places libres");
        assert_eq!(n(Language::En, 1), "1 free place");
        assert_eq!(n(Language::En, 0), "0 free places");
        assert_eq!(n(Language::Ar, 0), "لا أماكن");
        assert_eq!(n(Language::Ar, 2), "مكانان");
        assert_eq!(n(Language::Ar, 3), "3 أماكن");
        assert_eq!(n(Language::Ar, 11), "11 مكانًا");
    }

    #[test]
    fn a_message_missing_in_a_language_is_said_in_french() {
        let c = sample();
        assert_eq!(c.say(Language::En, "only-fr", &[]), "Seulement en français");
    }

    #[test]
    fn missing_ids_and_dropped_placeables_are_problems() {
        let c = sample();
        let p = c.problems(&[Language::En, Language::Ar]);
        assert!(
            p.iter().any(|x| x.contains("only-fr is missing in en")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|x| x.contains("hello in en uses {} where French uses {name}")),
            "{p:?}"
        );
        assert_eq!(p.len(), 2, "{p:?}");
    }

    #[test]
    fn placeables_are_not_wrapped_in_isolation_marks() {
        let c = sample();
        let s = c.say(Language::Fr, "hello", &[("name", "Amina".into())]);
        assert_eq!(s, "Bonjour Amina");
    }

    #[tokio::test]
    async fn the_request_language_is_a_task_local() {
        let c = sample();
        assert_eq!(c.now("hello", &[("name", "A".into())]), "Bonjour A");
        let en = scope(Language::En, async {
            c.now("free", &[("count", 1.into())])
        })
        .await;
        assert_eq!(en, "1 free place");
    }

    #[test]
    fn the_callers_language_is_the_heaviest_spoken_range() {
        assert_eq!(
            Language::from_accept_language("en-GB,en;q=0.9"),
            Some(Language::En)
        );
        assert_eq!(
            Language::from_accept_language("de, ar;q=0.5, fr;q=0.8"),
            Some(Language::Fr)
        );
        assert_eq!(Language::from_accept_language("de"), None);
        assert_eq!(
            Language::from_accept_language("en;q=0, fr"),
            Some(Language::Fr)
        );
    }

    #[test]
    fn say_names_its_placeables() {
        let c = sample();
        assert_eq!(say!(c, "hello", name = "Amina"), "Bonjour Amina");
        assert_eq!(say!(c, "only-fr"), "Seulement en français");
    }

    #[test]
    fn a_message_no_source_names_is_unused() {
        let c = sample();
        let src = r#"c.say(l, "free", &[]); say!(c, "hello", name = x)"#;
        assert_eq!(c.unused(src, &[]), vec!["only-fr".to_owned()]);
        assert!(c.unused(src, &["only-"]).is_empty());
    }

    #[test]
    fn a_file_that_does_not_parse_says_so() {
        let e =
            Catalogue::new("broken", &[(Language::Fr, "hello = { $name\n")]).expect_err("refused");
        assert!(e.to_string().contains("broken (fr)"), "{e}");
    }
}
