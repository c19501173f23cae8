//! `cargo xtask bench BENCH`: measure an example program in a release build,
//! beside the tools people already use for the same job, and write the
//! figures the book includes into `book/src/measured/`.
//!
//! ```text
//! cargo xtask bench concepts [--python]          the lessons, optionally beside CPython
//! cargo xtask bench crawler [--docs DIR]         the crawler's strategies, Python and wget
//! cargo xtask bench image-processor [--photos DIR]   thumbnails: ours, Pillow, libvips, ImageMagick
//! cargo xtask bench chat-server [--connections N]    10,000 idle WebSockets: ours, Python, Node
//! cargo xtask bench pipeline                     log pipeline: strategies, ours against asyncio + processes
//! ```
//!
//! The book quotes no figure of its own: it includes these pages, and says
//! which machine produced them. Run a bench on your machine to replace them
//! with yours.
//!
//! One module per bench, over a shared layer that knows nothing of any
//! bench: a bench module measures and hands its rows to the layer, which
//! writes them.
//! - [`page`]: the markdown page (headings, mdBook anchors, tables);
//! - [`chart`]: the SVG charts;
//! - [`machine`]: the sentence saying which machine the figures came from;
//! - [`files`]: the measured folder, atomic writes, walking a folder;
//! - [`release`]: building an example's release binary;
//! - [`process`]: running it and its peers (side by side, killed on drop,
//!   CPU and memory of the children measured).

mod chart;
mod chat_broker;
mod chat_peers;
mod chat_server;
mod concepts;
mod crawler;
mod crawler_docs;
mod files;
mod image_photos;
mod image_processor;
mod image_tools;
mod machine;
mod page;
mod pipeline;
mod process;
mod release;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, clap::Subcommand)]
enum Bench {
    /// The concepts lessons (GIL analog, threads, processes, async...),
    /// into book/src/measured/concepts.md.
    Concepts(concepts::Args),
    /// The crawler's strategies on a local site, beside a Python
    /// asyncio/aiohttp crawler and wget, into book/src/measured/crawler.md.
    Crawler(crawler::Args),
    /// Thumbnailing real photos: ours (sequential and rayon) beside Pillow,
    /// libvips and ImageMagick, into book/src/measured/image-processor.md.
    ImageProcessor(image_processor::Args),
    /// 10,000 idle WebSocket connections and a broadcast to all of them:
    /// ours (tuned, the library's buffers, a thread per connection) beside
    /// Python websockets and Node ws, into book/src/measured/chat-server.md.
    ChatServer(chat_server::Args),
    /// The log pipeline's strategies, and ours beside a Python asyncio +
    /// ProcessPoolExecutor pipeline, into book/src/measured/pipeline.md.
    Pipeline(pipeline::Args),
}

pub fn run(args: &Args) -> Result<()> {
    match &args.bench {
        Bench::Concepts(args) => concepts::run(args),
        Bench::Crawler(args) => crawler::run(args),
        Bench::ImageProcessor(args) => image_processor::run(args),
        Bench::ChatServer(args) => chat_server::run(args),
        Bench::Pipeline(args) => pipeline::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Command {
        Bench(Args),
    }

    fn parse(line: &[&str]) -> Result<Bench, clap::Error> {
        let line = std::iter::once("xtask").chain(line.iter().copied());
        Cli::try_parse_from(line).map(|cli| match cli.command {
            Command::Bench(args) => args.bench,
        })
    }

    #[test]
    fn each_bench_takes_its_own_flags() {
        assert!(matches!(
            parse(&["bench", "concepts", "--python"]),
            Ok(Bench::Concepts(concepts::Args { python: true }))
        ));
        assert!(matches!(
            parse(&["bench", "crawler", "--docs", "/d"]),
            Ok(Bench::Crawler(crawler::Args { docs: Some(d) })) if d.as_os_str() == "/d"
        ));
        assert!(matches!(
            parse(&["bench", "image-processor", "--photos", "/p"]),
            Ok(Bench::ImageProcessor(image_processor::Args { photos: Some(p) })) if p.as_os_str() == "/p"
        ));
        assert!(matches!(
            parse(&["bench", "chat-server", "--connections", "500"]),
            Ok(Bench::ChatServer(chat_server::Args {
                connections: 500,
                threads_max: 2000
            }))
        ));
        assert!(parse(&["bench", "chat-server", "--connections", "0"]).is_err());
        // A flag of another bench is a usage error, not silently ignored.
        assert!(parse(&["bench", "concepts", "--photos", "/p"]).is_err());
        assert!(parse(&["bench", "no-such-bench"]).is_err());
    }
}
