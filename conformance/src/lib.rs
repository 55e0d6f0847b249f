//! Differential wire tester: runs a corpus of raw-protocol scripts against
//! the Go nats-server and rnatsd and compares what each server sent back.
//!
//! The pieces are split so the pure parts stay unit-testable without any
//! server binary:
//! - [`corpus`]: the cases (scripts of byte writes per connection);
//! - [`normalize`]: turns received bytes into a comparable transcript
//!   (INFO reduced to key types plus a few values);
//! - [`diff`]: a line diff and the summary;
//! - [`runner`]: spawns the two servers and plays the scripts over TCP.

pub mod corpus;
pub mod diff;
pub mod normalize;
pub mod runner;

/// Which server configuration a case runs against. Each one is a config
/// file (or none) given to both servers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Config {
    /// No config file: defaults.
    Default,
    /// `max_payload: 64`, `max_control_line: 128`.
    Small,
    /// `authorization { user, password }`.
    UserPass,
    /// `authorization { token }`.
    Token,
    /// A users list where user `a` has publish/subscribe permissions.
    Perms,
}

impl Config {
    pub const ALL: [Config; 5] = [Config::Default, Config::Small, Config::UserPass, Config::Token, Config::Perms];

    /// The config file text, in the format both servers read.
    pub fn file_text(self) -> Option<&'static str> {
        match self {
            Config::Default => None,
            Config::Small => Some("max_payload: 64\nmax_control_line: 128\n"),
            Config::UserPass => Some("authorization {\n  user: derek\n  password: s3cr3t\n}\n"),
            Config::Token => Some("authorization {\n  token: t0k3n\n}\n"),
            Config::Perms => Some(concat!(
                "authorization {\n  users = [\n",
                "    { user: a, password: pa, permissions: {\n",
                "        publish: { allow: [\"pub.>\", \"_INBOX.>\"], deny: [\"pub.secret\"] }\n",
                "        subscribe: { allow: [\"sub.*\", \"_INBOX.>\", \"q.*\"], deny: [\"sub.secret\"] }\n",
                "    } }\n",
                "    { user: b, password: pb }\n",
                "  ]\n}\n",
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Config::Default => "default",
            Config::Small => "small",
            Config::UserPass => "userpass",
            Config::Token => "token",
            Config::Perms => "perms",
        }
    }
}

/// One step of a script: bytes written on one connection, in one or more
/// writes (with a short pause between them so they arrive as separate reads),
/// then a read of what that connection received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Index of the connection (opened, and its INFO read, on first use).
    pub conn: usize,
    pub writes: Vec<Vec<u8>>,
    /// After writing, send `PING` and read up to its `PONG`. Off for steps
    /// that leave the server inside a payload (the PING would be payload).
    pub barrier: bool,
}

/// Why a case is expected to differ. Such cases are counted apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Both servers must produce the same transcript.
    Same,
    /// A deliberate rnatsd difference.
    Intentional(&'static str),
    /// Go 2.9.10 is older than the spec (nats-server main): the text says
    /// what newer Go does, which rnatsd follows.
    Go29Differs(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub name: &'static str,
    pub config: Config,
    pub steps: Vec<Step>,
    pub expect: Expect,
}

impl Case {
    pub fn new(name: &'static str, config: Config) -> Case {
        Case { name, config, steps: Vec::new(), expect: Expect::Same }
    }

    /// One write on connection `conn`, then a PING/PONG barrier.
    pub fn send(self, conn: usize, data: impl AsRef<[u8]>) -> Case {
        self.split(conn, &[data.as_ref()])
    }

    /// Several writes on connection `conn`, then a PING/PONG barrier.
    pub fn split(mut self, conn: usize, writes: &[&[u8]]) -> Case {
        let writes = writes.iter().map(|w| w.to_vec()).collect();
        self.steps.push(Step { conn, writes, barrier: true });
        self
    }

    /// One write with no barrier: read until close or the time limit.
    pub fn send_raw(mut self, conn: usize, data: impl AsRef<[u8]>) -> Case {
        self.steps.push(Step { conn, writes: vec![data.as_ref().to_vec()], barrier: false });
        self
    }

    pub fn expect(mut self, e: Expect) -> Case {
        self.expect = e;
        self
    }

    /// Number of connections the case opens.
    pub fn conns(&self) -> usize {
        self.steps.iter().map(|s| s.conn + 1).max().unwrap_or(1)
    }
}
