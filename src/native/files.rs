//! Files read and written and folders made with their failures said in plain words, the path first: what
//! the command line prints when a path it was given will not do.

use std::io::ErrorKind;
use std::path::Path;

use crate::error::{Error, Result};

/// The bytes of the file at `path`, or why not: `"PATH: no such file or folder"`.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|err| Error::file(path, plain_words(&err)))
}

/// Writes `bytes` to the file at `path`, or says why not: `"PATH: the disk is full"`.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(|err| Error::file(path, plain_words(&err)))
}

/// Makes the folder `path` and the folders above it, unless they are there already.
pub fn make_folder(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|err| {
        Error::file(
            path,
            format!("the folder could not be made: {}", plain_words(&err)),
        )
    })
}

/// An I/O failure in plain words: the common ones said as a person would, the rest as the
/// operating system says them.
pub fn plain_words(err: &std::io::Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => "no such file or folder".into(),
        ErrorKind::IsADirectory => "a folder, not a file".into(),
        ErrorKind::NotADirectory => "a file stands where a folder should be".into(),
        ErrorKind::PermissionDenied => "not allowed (permissions)".into(),
        ErrorKind::ReadOnlyFilesystem => "the disk is read-only".into(),
        ErrorKind::StorageFull => "the disk is full".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_and_a_folder_are_named_plainly() {
        let dir = std::env::temp_dir().join(format!("linseg-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.jpg");
        assert_eq!(
            read(&missing).unwrap_err().to_string(),
            format!("{}: no such file or folder", missing.display())
        );
        assert_eq!(
            read(&dir).unwrap_err().to_string(),
            format!("{}: a folder, not a file", dir.display())
        );
        let file = dir.join("file");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(read(&file).unwrap(), b"x");
        write(&file, b"yz").unwrap();
        assert_eq!(read(&file).unwrap(), b"yz");
        assert_eq!(
            write(&dir, b"x").unwrap_err().to_string(),
            format!("{}: a folder, not a file", dir.display())
        );
        let under_file = file.join("out");
        assert_eq!(
            make_folder(&under_file).unwrap_err().to_string(),
            format!(
                "{}: the folder could not be made: a file stands where a folder should be",
                under_file.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
