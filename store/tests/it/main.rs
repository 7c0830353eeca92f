//! Store tests: a model directory on a temporary file system, and object storage on a real S3
//! endpoint (moto_server on 127.0.0.1, started by the tests).

mod dir;
mod object;
