//! A webhook receiver on loopback: it records what it is sent and answers
//! as the test says (200, another status, late, or not until released).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// After a pause (longer than the sender waits: a timeout).
    Late(Duration),
    /// Not before `release` is called.
    Held,
}

/// One delivery received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Mutex<Answer>>,
    release: Arc<tokio::sync::Notify>,
}

impl Receiver {
    /// A receiver answering 200, on a port of its own.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let r = Receiver {
            address: listener.local_addr().expect("address"),
            received: Arc::new(Mutex::new(Vec::new())),
            answer: Arc::new(Mutex::new(Answer::Status(200))),
            release: Arc::new(tokio::sync::Notify::new()),
        };
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state
                        .received
                        .lock()
                        .expect("received")
                        .push(Received { headers, body });
                    let answer = state.answer.lock().expect("answer").clone();
                    match answer {
                        Answer::Status(code) => {
                            StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
                        }
                        Answer::Late(pause) => {
                            tokio::time::sleep(pause).await;
                            StatusCode::OK
                        }
                        Answer::Held => {
                            state.release.notified().await;
                            StatusCode::OK
                        }
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.address)
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().expect("answer") = answer;
    }

    /// Lets every held answer go.
    pub fn release(&self) {
        self.answer(Answer::Status(200));
        self.release.notify_waiters();
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("received").clone()
    }
}
