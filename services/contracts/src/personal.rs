//! Personal data, sealed: names, phone numbers, emails and notes never sit
//! in clear in an event. Each owner (a resident) has a random 256-bit data
//! key; values are sealed with it (XChaCha20-Poly1305, random 24-byte nonce,
//! the owner's id as associated data). The data key is kept in the store's
//! key table, itself sealed ("wrapped") with the master key from the
//! configuration. Erasing the owner deletes the data key: every sealed value
//! of theirs becomes noise, while their events still read and fold.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use eventlog::{EventStore, StoreError};
use uuid::Uuid;

use crate::proto::common::v1::Sealed;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// The key-table entry that proves a master key is the right one.
const CHECK_OWNER: Uuid = Uuid::nil();
const CHECK_VALUE: &[u8] = b"creneau master key check v1";

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key is not valid: {0}")]
    BadMasterKey(String),
    #[error(
        "the master key does not open this store's data keys: it is not the key the store was created with; restore the right key file or CRENEAU_MASTER_KEY"
    )]
    WrongMasterKey,
    #[error(
        "this store holds personal data sealed with a master key that is missing: restore {0} (or set CRENEAU_MASTER_KEY); a new key would make all of it unreadable"
    )]
    MissingMasterKey(String),
    #[error("sealed value of {owner} does not open: it was altered or belongs to someone else")]
    Tampered { owner: Uuid },
    #[error("sealed value names owner {0:?}, which is not a UUID")]
    BadOwner(String),
    #[error("cannot read or write the master key file: {0}")]
    KeyFile(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key that wraps every data key. Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; KEY_LEN]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| VaultError::BadMasterKey(format!("no randomness: {e}")))?;
    Ok(bytes)
}

impl MasterKey {
    pub fn generate() -> Result<Self, VaultError> {
        random().map(MasterKey)
    }

    /// From 32 bytes in standard base64 (what `to_base64` writes).
    pub fn from_base64(text: &str) -> Result<Self, VaultError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|e| VaultError::BadMasterKey(format!("not base64: {e}")))?;
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
            VaultError::BadMasterKey(format!("{} bytes instead of {KEY_LEN}", b.len()))
        })?;
        Ok(MasterKey(key))
    }

    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Reads the key file, or `None` when there is none.
    pub fn read_file(path: &Path) -> Result<Option<Self>, VaultError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text)
                .map(Some)
                .map_err(|e| VaultError::KeyFile(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(VaultError::KeyFile(format!("{}: {e}", path.display()))),
        }
    }

    /// Writes a new key file readable by its owner only; refuses to replace
    /// an existing one.
    pub fn write_new_file(&self, path: &Path) -> Result<(), VaultError> {
        use std::io::Write;
        let fail = |e: std::io::Error| VaultError::KeyFile(format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(fail)?;
        file.write_all(format!("{}\n", self.to_base64()).as_bytes())
            .map_err(fail)?;
        file.sync_all().map_err(fail)
    }

    /// A 256-bit key for `purpose` (e.g. signing session cookies), derived
    /// from the master key with HMAC-SHA256: the same master key always
    /// gives the same derived key, and no derived key reveals another.
    pub fn derive(&self, purpose: &str) -> [u8; KEY_LEN] {
        crate::mac::hmac_sha256(&self.0, &[b"creneau derived key v1\0", purpose.as_bytes()])
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

/// A value that was sealed: readable, or gone with its owner's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revealed {
    Value(String),
    /// The owner was erased: the value cannot be read by anyone.
    Erased,
}

impl Revealed {
    pub fn as_deref(&self) -> Option<&str> {
        match self {
            Revealed::Value(v) => Some(v),
            Revealed::Erased => None,
        }
    }
}

impl fmt::Display for Revealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revealed::Value(v) => f.write_str(v),
            Revealed::Erased => f.write_str("[erased]"),
        }
    }
}

/// Seals and opens personal values with per-owner keys from the store.
#[derive(Clone)]
pub struct Vault {
    master: MasterKey,
    store: Arc<dyn EventStore>,
    /// Unwrapped data keys. A std mutex: held for a map lookup or insert,
    /// never across an await. Erasing through this vault evicts the key; a
    /// key erased by another process stays usable here until restart.
    cache: Arc<Mutex<HashMap<Uuid, [u8; KEY_LEN]>>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

fn seal_bytes(
    cipher: &XChaCha20Poly1305,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
    let nonce: [u8; NONCE_LEN] = random()?;
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::BadMasterKey("encryption failed".into()))?;
    Ok((nonce.to_vec(), ciphertext))
}

fn open_bytes(
    cipher: &XChaCha20Poly1305,
    aad: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Option<Vec<u8>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

impl Vault {
    /// A vault over `store`'s key table. Checks that `master` is the key
    /// the store's data keys were wrapped with (and records it on first use).
    pub async fn open(master: MasterKey, store: Arc<dyn EventStore>) -> Result<Self, VaultError> {
        let vault = Vault {
            master,
            store,
            cache: Arc::new(Mutex::new(HashMap::new())),
        };
        let (nonce, sealed) =
            seal_bytes(&vault.master.cipher(), CHECK_OWNER.as_bytes(), CHECK_VALUE)?;
        let stored = vault
            .store
            .keys()
            .insert_key(CHECK_OWNER, [nonce, sealed].concat())
            .await?;
        let (nonce, sealed) = stored.split_at(NONCE_LEN.min(stored.len()));
        match open_bytes(
            &vault.master.cipher(),
            CHECK_OWNER.as_bytes(),
            nonce,
            sealed,
        ) {
            Some(v) if v == CHECK_VALUE => Ok(vault),
            _ => Err(VaultError::WrongMasterKey),
        }
    }

    /// Whether the store already holds the master-key check, i.e. was used
    /// with some master key before: then a lost key must not be replaced.
    pub async fn store_is_sealed(store: &dyn EventStore) -> Result<bool, VaultError> {
        Ok(store.keys().fetch_key(CHECK_OWNER).await?.is_some())
    }

    fn cached(&self, owner: Uuid) -> Option<[u8; KEY_LEN]> {
        self.cache.lock().ok().and_then(|c| c.get(&owner).copied())
    }

    fn remember(&self, owner: Uuid, key: [u8; KEY_LEN]) {
        if let Ok(mut c) = self.cache.lock() {
            c.insert(owner, key);
        }
    }

    fn unwrap_key(&self, owner: Uuid, wrapped: &[u8]) -> Result<[u8; KEY_LEN], VaultError> {
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN.min(wrapped.len()));
        open_bytes(&self.master.cipher(), owner.as_bytes(), nonce, sealed)
            .and_then(|k| <[u8; KEY_LEN]>::try_from(k).ok())
            .ok_or(VaultError::WrongMasterKey)
    }

    /// A new data key, and its wrapped form to store.
    fn wrap_fresh(&self, owner: Uuid) -> Result<([u8; KEY_LEN], Vec<u8>), VaultError> {
        let fresh: [u8; KEY_LEN] = random()?;
        let (nonce, wrapped) = seal_bytes(&self.master.cipher(), owner.as_bytes(), &fresh)?;
        Ok((fresh, [nonce, wrapped].concat()))
    }

    /// A data key for a new owner, to store with the append that first
    /// uses it ([`EventStore::append_with`]) rather than in a commit of its
    /// own. This vault seals with it from now on; if that append is
    /// refused, [`Vault::forget`] it.
    pub fn new_key(&self, owner: Uuid) -> Result<eventlog::NewKey, VaultError> {
        let (key, wrapped) = self.wrap_fresh(owner)?;
        self.remember(owner, key);
        Ok(eventlog::NewKey { owner, wrapped })
    }

    /// The owner's data key, created on first use.
    async fn key_for_sealing(&self, owner: Uuid) -> Result<[u8; KEY_LEN], VaultError> {
        if let Some(k) = self.cached(owner) {
            return Ok(k);
        }
        let (_, wrapped) = self.wrap_fresh(owner)?;
        // Two writers racing agree on whichever key the table kept.
        let stored = self.store.keys().insert_key(owner, wrapped).await?;
        let key = self.unwrap_key(owner, &stored)?;
        self.remember(owner, key);
        Ok(key)
    }

    /// The owner's data key if they still have one.
    async fn key_for_opening(&self, owner: Uuid) -> Result<Option<[u8; KEY_LEN]>, VaultError> {
        if let Some(k) = self.cached(owner) {
            return Ok(Some(k));
        }
        let Some(wrapped) = self.store.keys().fetch_key(owner).await? else {
            return Ok(None);
        };
        let key = self.unwrap_key(owner, &wrapped)?;
        self.remember(owner, key);
        Ok(Some(key))
    }

    /// Reads the data keys of `owners` not in this process's cache yet, in
    /// one read or a few: a fold about to open many owners' values (a
    /// start on a long log) then finds them here rather than reading one
    /// key at a time. An owner with no key is left as it was (opening
    /// their values says they were erased).
    pub async fn prefetch(&self, owners: &[Uuid]) -> Result<(), VaultError> {
        let missing: Vec<Uuid> = match self.cache.lock() {
            Ok(c) => owners
                .iter()
                .filter(|o| !c.contains_key(o))
                .copied()
                .collect(),
            Err(_) => return Ok(()),
        };
        if missing.is_empty() {
            return Ok(());
        }
        for (owner, wrapped) in self.store.keys().fetch_keys(&missing).await? {
            let key = self.unwrap_key(owner, &wrapped)?;
            self.remember(owner, key);
        }
        Ok(())
    }

    /// Seals `value` for `owner`.
    pub async fn seal(&self, owner: Uuid, value: &str) -> Result<Sealed, VaultError> {
        let key = self.key_for_sealing(owner).await?;
        let (nonce, ciphertext) = seal_bytes(
            &XChaCha20Poly1305::new((&key).into()),
            owner.as_bytes(),
            value.as_bytes(),
        )?;
        Ok(Sealed {
            owner: owner.to_string(),
            nonce,
            ciphertext,
        })
    }

    /// Opens a sealed value: its text, or [`Revealed::Erased`] when the
    /// owner's key is gone.
    pub async fn open_sealed(&self, sealed: &Sealed) -> Result<Revealed, VaultError> {
        let owner = Uuid::parse_str(&sealed.owner)
            .map_err(|_| VaultError::BadOwner(sealed.owner.clone()))?;
        let Some(key) = self.key_for_opening(owner).await? else {
            return Ok(Revealed::Erased);
        };
        let plain = open_bytes(
            &XChaCha20Poly1305::new((&key).into()),
            owner.as_bytes(),
            &sealed.nonce,
            &sealed.ciphertext,
        )
        .ok_or(VaultError::Tampered { owner })?;
        String::from_utf8(plain)
            .map(Revealed::Value)
            .map_err(|_| VaultError::Tampered { owner })
    }

    /// A key for `purpose` derived from the master key (see [`MasterKey::derive`]).
    pub fn derive_key(&self, purpose: &str) -> [u8; KEY_LEN] {
        self.master.derive(purpose)
    }

    /// Drops the owner's key from this process's cache: called when another
    /// process is seen erasing the owner, so that nothing here opens their
    /// values any more.
    pub fn forget(&self, owner: Uuid) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(&owner);
        }
    }

    /// Replaces every sealed value inside `payload` by its text, or
    /// `[erased]` when its owner was erased. What `events tail` and the
    /// right-of-access export show.
    pub async fn reveal_json(&self, payload: &mut serde_json::Value) {
        reveal_json(payload, Some(self)).await;
    }

    /// Deletes the owner's data key for good. Returns whether there was one.
    pub async fn erase(&self, owner: Uuid) -> Result<bool, VaultError> {
        if owner == CHECK_OWNER {
            return Err(VaultError::BadOwner(owner.to_string()));
        }
        self.forget(owner);
        Ok(self.store.keys().delete_key(owner).await?)
    }
}

fn is_sealed(v: &serde_json::Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.len() == 3
            && o.contains_key("owner")
            && o.contains_key("nonce")
            && o.contains_key("ciphertext")
    })
}

/// JSON pointers of every sealed value in `v`.
fn sealed_pointers(v: &serde_json::Value, here: String, found: &mut Vec<String>) {
    use serde_json::Value;
    if is_sealed(v) {
        found.push(here);
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                sealed_pointers(
                    child,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    found,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                sealed_pointers(child, format!("{here}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Replaces every sealed value inside `payload` by its text, `[erased]`, or
/// `[sealed]` when there is no vault at hand.
pub async fn reveal_json(payload: &mut serde_json::Value, vault: Option<&Vault>) {
    let mut pointers = Vec::new();
    sealed_pointers(payload, String::new(), &mut pointers);
    for p in pointers {
        let Some(slot) = payload.pointer_mut(&p) else {
            continue;
        };
        let shown = match (vault, serde_json::from_value::<Sealed>(slot.clone())) {
            (Some(vault), Ok(sealed)) => match vault.open_sealed(&sealed).await {
                Ok(revealed) => revealed.to_string(),
                Err(e) => format!("[unreadable: {e}]"),
            },
            _ => "[sealed]".to_owned(),
        };
        *slot = serde_json::Value::String(shown);
    }
}
