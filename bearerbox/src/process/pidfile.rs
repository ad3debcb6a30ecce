//! The `-P`/`-p` pid file: written once the box runs in its final process
//! (after daemonizing), removed on a clean exit.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PidFileError {
    #[error("cannot write pid file {path}: {error}")]
    Write { path: PathBuf, error: io::Error },
}

/// A written pid file; [`PidFile::remove`] or dropping it deletes the file.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's id and a newline to `path`, replacing a stale file.
    pub fn create(path: &Path) -> Result<PidFile, PidFileError> {
        let write_error = |error| PidFileError::Write {
            path: path.to_path_buf(),
            error,
        };
        // Removal happens at exit, possibly from another thread or after a
        // change of directory; an absolute path names the same file then.
        let path = std::path::absolute(path).map_err(write_error)?;
        fs::write(&path, format!("{}\n", std::process::id())).map_err(write_error)?;
        Ok(PidFile { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn remove(self) {
        // Drop does the work; this only names the moment.
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        remove_path(&self.path);
    }
}

/// Removes a pid file, logging (not failing) when it cannot: the process is
/// exiting anyway and an operator can delete a stale file.
pub fn remove_path(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => log::warn!("cannot remove pid file {}: {error}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_file_holds_our_pid_and_is_gone_after_removal()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("pidfile-test-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let path = dir.join("box.pid");
        let pid_file = PidFile::create(&path)?;
        assert_eq!(
            fs::read_to_string(&path)?,
            format!("{}\n", std::process::id())
        );
        pid_file.remove();
        assert!(!path.exists());
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
