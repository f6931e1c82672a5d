//! TLS on rustls (with the `ring` provider), behind the `tls` cargo feature: certificate chain and key from
//! PEM files, ALPN offering `h2` when HTTP/2 is on, then `http/1.1`. The files are read again on
//! [`Certificates::reload`] (the server calls it on SIGHUP): new handshakes use the new pair, connections
//! already open keep theirs, and a pair that does not load leaves the current one in place.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

use super::TlsFiles;

/// The certificate and key the server presents, as last loaded from their files.
pub(crate) struct Certificates {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Reads the files again and, if they hold a valid chain and a matching key, presents them from the next
    /// handshake on.
    ///
    /// # Errors
    /// When a file cannot be read or parsed, or the key does not match the certificate; the current pair
    /// stays.
    pub(crate) fn reload(&self) -> io::Result<()> {
        let key = load(&self.files, &self.provider)?;
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// Where the pair is read from.
    pub(crate) fn files(&self) -> &TlsFiles {
        &self.files
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner),
        ))
    }
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// Reads the PEM files and builds the acceptor, with the certificates it presents.
pub(crate) fn acceptor(files: &TlsFiles, http2: bool) -> io::Result<(TlsAcceptor, Arc<Certificates>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certificates = Arc::new(Certificates {
        current: RwLock::new(Arc::new(load(files, &provider)?)),
        files: files.clone(),
        provider: Arc::clone(&provider),
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("settings for", &files.cert, &e))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(&certificates) as Arc<dyn ResolvesServerCert>);
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok((TlsAcceptor::from(Arc::new(config)), certificates))
}

/// The chain and key from their files, checked to belong together.
fn load(files: &TlsFiles, provider: &CryptoProvider) -> io::Result<CertifiedKey> {
    let (cert, key) = (&files.cert, &files.key);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid("certificate", cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| invalid("certificate", cert, &e))?;
    if chain.is_empty() {
        return Err(invalid("certificate", cert, &"no CERTIFICATE block in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid("key", key, &e))?;
    CertifiedKey::from_der(chain, key_der, provider).map_err(|e| invalid("certificate and key", cert, &e))
}

fn invalid(what: &str, path: &Path, e: &dyn fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("TLS {what} {}: {e}", path.display()),
    )
}
