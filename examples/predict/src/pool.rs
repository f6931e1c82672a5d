//! The inference pool: dedicated threads that decode images and run the model, fed by a bounded queue, so
//! that no async worker ever runs the model and a slow model never stalls another route.
//!
//! **Batching.** A pool thread takes the oldest waiting request and, with batching on, every other request
//! already waiting (up to `max_batch`), and runs the model once for all of them. No timer holds a request
//! back: when the pool is idle a request runs alone at once; under load, the requests that arrived while
//! the previous batch ran form the next one, so batches grow with the load.
//!
//! **Overload.** Past `queue` waiting requests a new one is refused at once ([`InferError::Busy`], 503 with
//! `Retry-After`); a request that waited longer than `deadline` before a pool thread took it is dropped
//! ([`InferError::TooLate`], also 503: the server is overloaded, which is what 503 says; 504 is for a
//! gateway whose upstream did not answer).

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peregrine::metrics::prometheus_client::metrics::histogram::Histogram;
use tokio::sync::oneshot;

use crate::image_input::{preprocess, ImageError, ImageLimits};
use crate::model::{Classifier, ModelError, Prediction};

/// How the pool runs.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Threads running the model (default 1: the model's own kernels are not run in parallel here, so
    /// more threads only help on more cores).
    pub threads: usize,
    /// Requests that may wait for a thread (default 1,024); more get 503 at once. Size it to what the
    /// model gets through within `deadline`: a longer queue only turns quick 503s into late ones. A waiting request holds its image, so the bound is also
    /// one on memory: 1,024 × the body limit at worst.
    pub queue: usize,
    /// Whether waiting requests are run together (default on).
    pub batching: bool,
    /// Most images per model run (default 32).
    pub max_batch: usize,
    /// Longest a request may wait for a thread (default 1 s); a request that waited longer gets 503.
    pub deadline: Duration,
    /// The image decoder's bounds.
    pub limits: ImageLimits,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            threads: 1,
            queue: 1024,
            batching: true,
            max_batch: 32,
            deadline: Duration::from_secs(1),
            limits: ImageLimits::default(),
        }
    }
}

/// Why a request got no prediction.
#[derive(Debug, Clone)]
pub enum InferError {
    /// The queue was full.
    Busy,
    /// The request waited longer than the deadline.
    TooLate,
    /// The image could not be read.
    Image(ImageError),
    /// The model failed.
    Model(ModelError),
    /// The pool has stopped.
    Stopped,
}

struct Job {
    image: Vec<u8>,
    queued: Instant,
    reply: oneshot::Sender<Result<Prediction, InferError>>,
}

/// The pool; clones share it.
#[derive(Clone)]
pub struct InferencePool {
    sender: SyncSender<Job>,
    batch_sizes: Histogram,
}

impl std::fmt::Debug for InferencePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferencePool").finish_non_exhaustive()
    }
}

/// The buckets of the batch-size histogram.
pub const BATCH_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

impl InferencePool {
    /// Starts `config.threads` threads running `classifier`.
    ///
    /// # Panics
    /// When the OS refuses a thread.
    pub fn start(classifier: Arc<dyn Classifier>, config: PoolConfig) -> InferencePool {
        let (sender, receiver) = mpsc::sync_channel(config.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let batch_sizes = Histogram::new(BATCH_BUCKETS);
        for i in 0..config.threads.max(1) {
            let (receiver, classifier, config, sizes) = (
                receiver.clone(),
                classifier.clone(),
                config.clone(),
                batch_sizes.clone(),
            );
            std::thread::Builder::new()
                .name(format!("inference-{i}"))
                .spawn(move || {
                    lower_priority();
                    serve(&receiver, &*classifier, &config, &sizes)
                })
                .expect("start an inference thread");
        }
        InferencePool { sender, batch_sizes }
    }

    /// How many images each model run took: a histogram to register with the app's metrics.
    pub fn batch_sizes(&self) -> Histogram {
        self.batch_sizes.clone()
    }

    /// The prediction for the image in `image` (PNG or JPEG bytes), from a pool thread.
    ///
    /// # Errors
    /// See [`InferError`].
    pub async fn classify(&self, image: Vec<u8>) -> Result<Prediction, InferError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            image,
            queued: Instant::now(),
            reply,
        };
        self.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => InferError::Busy,
            TrySendError::Disconnected(_) => InferError::Stopped,
        })?;
        answer.await.unwrap_or(Err(InferError::Stopped))
    }
}

/// Makes the calling thread the OS's last choice (the lowest priority of its scheduling policy: nice 19 for
/// ordinary threads), so that on a shared core the server's threads run as soon as a request arrives and
/// the model takes the time left over. Where the OS refuses, the thread runs at normal priority.
fn lower_priority() {
    if let Err(e) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
        eprintln!("predict: the inference thread keeps its priority ({e:?})");
    }
}

/// One pool thread: take a batch, drop what waited too long, decode, run, answer; until the pool is dropped.
fn serve(receiver: &Mutex<Receiver<Job>>, classifier: &dyn Classifier, config: &PoolConfig, sizes: &Histogram) {
    loop {
        let mut jobs = Vec::with_capacity(if config.batching { config.max_batch } else { 1 });
        {
            let receiver = receiver.lock().unwrap_or_else(|e| e.into_inner());
            match receiver.recv() {
                Ok(job) => jobs.push(job),
                Err(_) => return,
            }
            while config.batching && jobs.len() < config.max_batch {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
        }
        let mut ready = Vec::with_capacity(jobs.len());
        let mut inputs = Vec::with_capacity(jobs.len());
        for job in jobs {
            // Checked before each image: decoding the ones before it took time too.
            if job.queued.elapsed() > config.deadline {
                let _ = job.reply.send(Err(InferError::TooLate));
                continue;
            }
            match preprocess(&job.image, config.limits) {
                Ok(pixels) => {
                    inputs.push(pixels);
                    ready.push(job.reply);
                }
                Err(e) => {
                    let _ = job.reply.send(Err(InferError::Image(e)));
                }
            }
        }
        if ready.is_empty() {
            continue;
        }
        sizes.observe(ready.len() as f64);
        // A panicking model answers these requests with 500 and leaves the thread serving.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| classifier.classify(&inputs)))
            .unwrap_or_else(|_| Err(ModelError::new("the model panicked")));
        match outcome {
            Ok(predictions) => {
                for (reply, prediction) in ready.into_iter().zip(predictions) {
                    let _ = reply.send(Ok(prediction));
                }
            }
            Err(e) => {
                for reply in ready {
                    let _ = reply.send(Err(InferError::Model(e.clone())));
                }
            }
        }
    }
}
