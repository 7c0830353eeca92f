//! What the object-store tests need of an object-storage API on this machine, whichever it
//! is: moto's S3 ([`crate::s3::S3`]) or Azurite's Azure Blob ([`crate::azure::Azurite`]). A
//! test written against [`Endpoint`] runs on both.

/// An object-storage API running on 127.0.0.1 for a test, behind a relay that can cut it; it
/// stops when dropped.
pub trait Endpoint {
    /// Starts it (and panics, saying how to install it, when it is missing).
    fn start() -> Self
    where
        Self: Sized;

    /// The store URL of `prefix` in bucket (or container) `bucket`: `s3://bucket/prefix`,
    /// `az://bucket/prefix`.
    fn url(&self, bucket: &str, prefix: &str) -> String;

    /// The configuration keys for `object_store`'s builder (`store::open_with`): the
    /// endpoint and the credentials.
    fn options(&self) -> Vec<(&'static str, String)>;

    /// The same as environment variables, for the binaries (`object_store`'s builders read
    /// the upper-case keys from the environment).
    fn env(&self) -> Vec<(String, String)> {
        self.options()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect()
    }

    /// Creates bucket (or container) `name`: not part of `object_store`.
    fn create_bucket(&self, name: &str);

    /// Cuts (`false`) or restores (`true`) the endpoint: while cut, connections are refused
    /// and open ones dropped; the objects stay.
    fn set_reachable(&self, reachable: bool);
}

/// Declares, for each test function generic over an [`Endpoint`] (`fn name<E: Endpoint>()`),
/// the tests `s3::name` and `azure::name` that run it on moto's S3 and on Azurite. With
/// `async` first, the functions are async and the tests run them on a multi-thread tokio
/// runtime of two workers (the caller depends on tokio).
///
/// ```text
/// testkit::on_each_endpoint!(publish_and_list, racing_publishers);
/// testkit::on_each_endpoint!(async models_switch_under_load);
/// ```
#[macro_export]
macro_rules! on_each_endpoint {
    (async $($name:ident),+ $(,)?) => {
        mod s3 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name::<$crate::s3::S3>().await })+
        }
        mod azure {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name::<$crate::azure::Azurite>().await })+
        }
    };
    ($($name:ident),+ $(,)?) => {
        mod s3 {
            $(#[test] fn $name() { super::$name::<$crate::s3::S3>() })+
        }
        mod azure {
            $(#[test] fn $name() { super::$name::<$crate::azure::Azurite>() })+
        }
    };
}
