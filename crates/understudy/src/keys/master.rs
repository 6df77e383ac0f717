//! The master key: the AES-256 key that seals signing keys at rest.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use super::KeyError;

/// The environment variable holding the master key (64 hex digits or base64 of 32 bytes).
pub const MASTER_KEY_ENV: &str = "UNDERSTUDY_MASTER_KEY";

/// Length of the master key in bytes (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// 32 secret bytes that seal and open signing keys. Never printed: `Debug` shows
/// `MasterKey(..)`, and the bytes are wiped on drop.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_LEN]>);

impl MasterKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut())
            .map_err(|_| KeyError::Crypto("random generation failed"))?;
        Ok(Self(bytes))
    }

    /// Parses the text form: 64 hex digits, or base64 (standard or URL-safe, padded or not)
    /// of exactly 32 bytes. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        // 64 hex digits are also valid base64 (of 48 bytes), so hex is tried first.
        if text.len() == 2 * MASTER_KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut bytes = Zeroizing::new([0u8; MASTER_KEY_LEN]);
            hex::decode_to_slice(text, bytes.as_mut()).map_err(|_| KeyError::InvalidMasterKey)?;
            return Ok(Self(bytes));
        }
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            if let Ok(decoded) = engine.decode(text) {
                let decoded = Zeroizing::new(decoded);
                if let Ok(bytes) = <[u8; MASTER_KEY_LEN]>::try_from(decoded.as_slice()) {
                    return Ok(Self::from_bytes(bytes));
                }
                return Err(KeyError::InvalidMasterKey);
            }
        }
        Err(KeyError::InvalidMasterKey)
    }

    /// The key from [`MASTER_KEY_ENV`], or `None` when the variable is unset or empty.
    pub fn from_env() -> Result<Option<Self>, KeyError> {
        Self::from_env_value(std::env::var_os(MASTER_KEY_ENV))
    }

    fn from_env_value(value: Option<std::ffi::OsString>) -> Result<Option<Self>, KeyError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let value = Zeroizing::new(
            value
                .into_string()
                .map_err(|_| KeyError::InvalidMasterKey)?,
        );
        if value.trim().is_empty() {
            return Ok(None);
        }
        Self::parse(&value).map(Some)
    }

    /// Reads a key file: 32 raw bytes, or the text form of [`MasterKey::parse`].
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let contents =
            Zeroizing::new(
                std::fs::read(path).map_err(|source| KeyError::MasterKeyFile {
                    path: path.to_owned(),
                    source,
                })?,
            );
        Self::from_file_contents(&contents).ok_or_else(|| KeyError::InvalidMasterKeyFile {
            path: path.to_owned(),
        })
    }

    fn from_file_contents(contents: &[u8]) -> Option<Self> {
        if let Ok(text) = std::str::from_utf8(contents)
            && let Ok(key) = Self::parse(text)
        {
            return Some(key);
        }
        <[u8; MASTER_KEY_LEN]>::try_from(contents)
            .ok()
            .map(Self::from_bytes)
    }

    /// Reads the key file, or, when it does not exist, creates it (mode 0600 on Unix,
    /// never overwriting a file that appears meanwhile) with a fresh random key in base64.
    /// Meant for the development default; production sets [`MASTER_KEY_ENV`].
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        match Self::create_new(path) {
            Ok(key) => Ok(key),
            Err(KeyError::MasterKeyFile { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                Self::from_file(path)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a fresh key to a temporary file, then links it into place, so the key file
    /// appears complete or not at all: a crash never leaves an empty file behind, and a
    /// file created meanwhile by another process is never overwritten.
    fn create_new(path: &Path) -> Result<Self, KeyError> {
        let file_error = |source| KeyError::MasterKeyFile {
            path: path.to_owned(),
            source,
        };
        let key = Self::generate()?;
        let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.as_bytes())));
        let mut suffix = [0u8; 8];
        aws_lc_rs::rand::fill(&mut suffix)
            .map_err(|_| KeyError::Crypto("random generation failed"))?;
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", hex::encode(suffix)));
        write_private_file(&temporary, text.as_bytes()).map_err(file_error)?;
        let linked = std::fs::hard_link(&temporary, path);
        // Best effort: the temporary name holds a copy of the key until removed.
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(file_error(e)),
            // A file system without hard links: write the file in place instead.
            Err(_) => write_private_file(path, text.as_bytes())
                .map(|()| key)
                .map_err(file_error),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        &self.0
    }
}

/// Creates `path` (failing if it exists), readable by its owner only, and writes `contents`.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn expected() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn parses_hex() {
        assert_eq!(MasterKey::parse(HEX).unwrap().as_bytes(), &expected());
        assert_eq!(
            MasterKey::parse(&format!("  {}\n", HEX.to_uppercase()))
                .unwrap()
                .as_bytes(),
            &expected()
        );
    }

    #[test]
    fn parses_every_base64_flavour() {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let text = engine.encode(expected());
            assert_eq!(MasterKey::parse(&text).unwrap().as_bytes(), &expected());
        }
    }

    #[test]
    fn rejects_wrong_lengths_and_garbage() {
        for bad in [
            "",
            "abc",
            &HEX[..62],
            &format!("{HEX}00"),
            &STANDARD.encode([7u8; 31]),
            &STANDARD.encode([7u8; 33]),
            "not base64 at all!!",
        ] {
            assert!(
                matches!(MasterKey::parse(bad), Err(KeyError::InvalidMasterKey)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn env_value_unset_or_empty_is_none_and_bad_is_an_error() {
        assert!(MasterKey::from_env_value(None).unwrap().is_none());
        assert!(
            MasterKey::from_env_value(Some(" ".into()))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            MasterKey::from_env_value(Some(HEX.into()))
                .unwrap()
                .unwrap()
                .as_bytes(),
            &expected()
        );
        assert!(matches!(
            MasterKey::from_env_value(Some("short".into())),
            Err(KeyError::InvalidMasterKey)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let not_utf8 = std::ffi::OsString::from_vec(vec![0xff, 0xfe]);
            assert!(matches!(
                MasterKey::from_env_value(Some(not_utf8)),
                Err(KeyError::InvalidMasterKey)
            ));
        }
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let key = MasterKey::parse(HEX).unwrap();
        let printed = format!("{key:?} {key:#?}");
        assert_eq!(printed, "MasterKey(..) MasterKey(..)");
    }

    #[test]
    fn load_or_create_creates_once_then_reads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        assert_eq!(
            MasterKey::from_file(&path).unwrap().as_bytes(),
            first.as_bytes()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_key_and_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let keys: Vec<[u8; 32]> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| *MasterKey::load_or_create(&path).unwrap().as_bytes()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| k == &keys[0]));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["master.key"]);
    }

    #[test]
    fn two_fresh_keys_differ() {
        let dir = tempfile::tempdir().unwrap();
        let a = MasterKey::load_or_create(&dir.path().join("a")).unwrap();
        let b = MasterKey::load_or_create(&dir.path().join("b")).unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn key_file_may_hold_raw_bytes_or_hex() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw");
        std::fs::write(&raw, expected()).unwrap();
        assert_eq!(MasterKey::from_file(&raw).unwrap().as_bytes(), &expected());
        let text = dir.path().join("hex");
        std::fs::write(&text, format!("{HEX}\n")).unwrap();
        assert_eq!(MasterKey::from_file(&text).unwrap().as_bytes(), &expected());
    }

    #[test]
    fn bad_or_missing_key_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "too short").unwrap();
        assert!(matches!(
            MasterKey::from_file(&bad),
            Err(KeyError::InvalidMasterKeyFile { .. })
        ));
        assert!(matches!(
            MasterKey::from_file(&dir.path().join("missing")),
            Err(KeyError::MasterKeyFile { .. })
        ));
        assert!(matches!(
            MasterKey::load_or_create(&bad),
            Err(KeyError::InvalidMasterKeyFile { .. })
        ));
    }
}
