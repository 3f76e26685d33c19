//! A step's options as the command line of its subcommand, parsed by that subcommand's own
//! clap definition: defaults and validation live in one place, and the manifest of a step
//! shows the exact command that reproduces it by hand.

use std::fmt::Display;
use std::path::Path;

use clap::Parser;

/// An argument list under construction.
#[derive(Debug, Clone, Default)]
pub struct Argv(pub Vec<String>);

impl Argv {
    /// `--name value`.
    pub fn arg(mut self, name: &str, value: impl Display) -> Self {
        self.0.push(format!("--{name}"));
        self.0.push(value.to_string());
        self
    }

    /// `--name path`.
    pub fn path(self, name: &str, path: &Path) -> Self {
        self.arg(name, path.display())
    }

    /// `--name value` when the value is given (otherwise the subcommand's default holds).
    pub fn opt(self, name: &str, value: Option<impl Display>) -> Self {
        match value {
            Some(v) => self.arg(name, v),
            None => self,
        }
    }

    /// `--name a,b,c` when the list is given.
    pub fn list<T: Display>(self, name: &str, values: Option<&[T]>) -> Self {
        match values {
            Some(v) => {
                let joined: Vec<String> = v.iter().map(ToString::to_string).collect();
                self.arg(name, joined.join(","))
            }
            None => self,
        }
    }

    /// `--name` when `on`.
    pub fn switch(mut self, name: &str, on: bool) -> Self {
        if on {
            self.0.push(format!("--{name}"));
        }
        self
    }

    /// The arguments as JSON (a step's parameters).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }

    /// Parses the list with the options struct `T` of a subcommand.
    pub fn parse<T: clap::Args>(&self, step: &str) -> anyhow::Result<T> {
        #[derive(Parser)]
        #[command(no_binary_name = true)]
        struct Wrap<T: clap::Args> {
            #[command(flatten)]
            inner: T,
        }
        Wrap::<T>::try_parse_from(&self.0)
            .map(|w| w.inner)
            .map_err(|e| {
                anyhow::anyhow!(
                    "step {step}: invalid options {:?}: {}",
                    self.0,
                    e.to_string().trim_end()
                )
            })
    }
}
