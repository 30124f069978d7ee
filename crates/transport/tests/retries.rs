//! The AWS CLI's standard retry mode over a real socket, with an injected sleeper and clock so
//! the test neither waits nor depends on the time of day.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rolecall_transport::{Client, Clock, Credentials, HttpOptions, Sleeper, TransportError};
use rolecall_wire::{ErrorCode, ErrorKind};
use time::OffsetDateTime;

#[derive(Debug, Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

#[derive(Debug)]
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_440_938_160).unwrap()
    }
}

fn error(status: u16, code: &str) -> String {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>slow down</Message></Error><RequestId>r-{status}</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn ok() -> String {
    let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-ok</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Serves `answers` to one connection each, recording the requests' X-Amz-Date headers.
fn serve(answers: Vec<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut dates = Vec::new();
        for answer in answers {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if let Some(v) = lower.strip_prefix("x-amz-date:") {
                    dates.push(v.trim().to_owned());
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut stream = stream;
            stream.write_all(answer.as_bytes()).unwrap();
        }
        dates
    });
    (endpoint, handle)
}

fn client(endpoint: &str, sleeper: &Arc<RecordingSleeper>, attempts: u32) -> Client {
    let options = HttpOptions {
        max_attempts: attempts,
        ..HttpOptions::default()
    };
    Client::new(endpoint, "us-east-1", "sts", "2011-06-15", &options)
        .unwrap()
        .with_time(sleeper.clone(), Arc::new(FixedClock))
}

fn keys() -> Credentials {
    Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
        expiration: None,
    }
}

#[test]
fn throttling_is_retried_until_it_succeeds() {
    let (endpoint, server) = serve(vec![
        error(400, "Throttling"),
        error(400, "Throttling"),
        ok(),
    ]);
    let sleeper = Arc::new(RecordingSleeper::default());
    let raw = client(&endpoint, &sleeper, 3)
        .call_query("GetCallerIdentity", &[], &keys())
        .unwrap();
    assert!(raw.body.contains("123456789012"));
    assert_eq!(
        *sleeper.0.lock().unwrap(),
        [Duration::from_millis(100), Duration::from_millis(200)]
    );
    // Every attempt is signed at the injected clock's time.
    assert_eq!(server.join().unwrap(), ["20150830t123600z"; 3]);
}

#[test]
fn exhausted_retries_say_so_and_refusals_are_not_retried() {
    let (endpoint, server) = serve(vec![error(400, "Throttling"), error(400, "Throttling")]);
    let sleeper = Arc::new(RecordingSleeper::default());
    let Err(TransportError::Service(e)) =
        client(&endpoint, &sleeper, 2).call_query("GetCallerIdentity", &[], &keys())
    else {
        panic!("expected a service error");
    };
    assert_eq!(e.attempts, 2);
    assert_eq!(e.code, ErrorCode::Other("Throttling".into()));
    assert_eq!(e.request_id.as_deref(), Some("r-400"));
    assert_eq!(
        e.to_string(),
        "An error occurred (Throttling) when calling the GetCallerIdentity operation (reached max retries: 1): slow down"
    );
    server.join().unwrap();

    let (endpoint, server) = serve(vec![error(403, "AccessDenied")]);
    let sleeper = Arc::new(RecordingSleeper::default());
    let Err(TransportError::Service(e)) =
        client(&endpoint, &sleeper, 3).call_query("GetCallerIdentity", &[], &keys())
    else {
        panic!("expected a service error");
    };
    assert_eq!(e.code, ErrorCode::Known(ErrorKind::AccessDenied));
    assert_eq!((e.attempts, e.status), (1, 403));
    assert!(sleeper.0.lock().unwrap().is_empty());
    server.join().unwrap();
}

#[test]
fn an_unreachable_endpoint_is_worded_as_the_aws_cli_words_it() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sleeper = Arc::new(RecordingSleeper::default());
    let endpoint = format!("http://127.0.0.1:{port}");
    let err = client(&endpoint, &sleeper, 2)
        .call_query("GetCallerIdentity", &[], &keys())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Could not connect to the endpoint URL: \"{endpoint}/\"")
    );
    assert_eq!(sleeper.0.lock().unwrap().len(), 1);
}
