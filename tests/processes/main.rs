//! The binary as people run it, as real processes: the command line, its
//! bad input, signals, crashes (SIGKILL) and what survives them.

mod cli;
mod deploy;
mod scale_out;
