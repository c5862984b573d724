//! Framing: split-invariance, round-trips and limits.

use netloom_core::frame::{
    encode_prefixed, Decoder, FixedDecoder, FrameError, Limits, PrefixedDecoder,
};
use proptest::prelude::*;

type Outcome = (Vec<Vec<u8>>, Option<FrameError>);

fn pull<D: Decoder>(dec: &mut D, frames: &mut Vec<Vec<u8>>) -> Option<FrameError> {
    loop {
        match dec.next_frame() {
            Ok(Some(f)) => frames.push(f),
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

/// Feeds `input` cut at `cuts`, then EOF, and collects frames and the final error.
fn run<D: Decoder>(mut dec: D, input: &[u8], cuts: &[usize]) -> Outcome {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    points.push(input.len());
    let mut frames = Vec::new();
    let mut start = 0;
    for p in points {
        dec.receive(&input[start..p]);
        start = p;
        if let Some(e) = pull(&mut dec, &mut frames) {
            return (frames, Some(e));
        }
    }
    dec.receive_eof();
    let err = pull(&mut dec, &mut frames);
    (frames, err)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fixed_frames_do_not_depend_on_split(
        len in 1usize..40,
        input in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let whole = run(FixedDecoder::new(len), &input, &[]);
        let split = run(FixedDecoder::new(len), &input, &cuts);
        prop_assert_eq!(&whole, &split);
        // And they are exactly the chunks of the input.
        let expected: Vec<Vec<u8>> = input.chunks_exact(len).map(|c| c.to_vec()).collect();
        prop_assert_eq!(&whole.0, &expected);
        let rest = input.len() % len;
        if rest == 0 {
            prop_assert_eq!(whole.1, None);
        } else {
            prop_assert_eq!(whole.1, Some(FrameError::ShortRead { expected: len, received: rest }));
        }
    }

    #[test]
    fn prefixed_round_trips_under_any_split(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..10),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let limits = Limits::default();
        let mut wire = Vec::new();
        for p in &payloads {
            encode_prefixed(p, &limits, &mut wire).unwrap();
        }
        let (frames, err) = run(PrefixedDecoder::new(limits), &wire, &cuts);
        prop_assert_eq!(frames, payloads);
        prop_assert_eq!(err, None);
    }

    #[test]
    fn prefixed_arbitrary_input_never_panics_and_is_split_invariant(
        input in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let limits = Limits { max_frame_len: 64 };
        let whole = run(PrefixedDecoder::new(limits), &input, &[]);
        let split = run(PrefixedDecoder::new(limits), &input, &cuts);
        prop_assert_eq!(whole, split);
    }
}

#[test]
fn oversize_prefix_is_refused_before_the_body_arrives() {
    let mut dec = PrefixedDecoder::new(Limits {
        max_frame_len: 1024,
    });
    dec.receive(&(1025u32).to_be_bytes());
    assert_eq!(
        dec.next_frame(),
        Err(FrameError::TooLarge {
            len: 1025,
            max: 1024
        })
    );
    assert_eq!(dec.wanted(), 0, "a failed decoder asks for nothing more");
    // The error is sticky: the stream is out of sync.
    dec.receive(&[0; 10]);
    assert!(dec.next_frame().is_err());
}

#[test]
fn prefixed_short_reads_say_what_was_missing() {
    let mut dec = PrefixedDecoder::default();
    dec.receive(&[0, 0]);
    dec.receive_eof();
    assert_eq!(
        dec.next_frame(),
        Err(FrameError::ShortRead {
            expected: 4,
            received: 2
        })
    );

    let mut dec = PrefixedDecoder::default();
    dec.receive(&[0, 0, 0, 10, 1, 2, 3]);
    dec.receive_eof();
    assert_eq!(
        dec.next_frame(),
        Err(FrameError::ShortRead {
            expected: 10,
            received: 3
        })
    );
}

#[test]
fn encoder_refuses_what_the_decoder_would() {
    let mut out = Vec::new();
    let err = encode_prefixed(&[0; 11], &Limits { max_frame_len: 10 }, &mut out).unwrap_err();
    assert_eq!(err, FrameError::TooLarge { len: 11, max: 10 });
    assert!(out.is_empty());
}

#[test]
fn short_read_message_matches_the_seed() {
    let e = FrameError::ShortRead {
        expected: 16,
        received: 5,
    };
    assert_eq!(
        e.to_string(),
        "was expecting 16 bytes but only received 5 bytes before the socket closed"
    );
}

#[test]
fn clean_eof_on_a_boundary_is_not_an_error() {
    let mut dec = FixedDecoder::new(4);
    dec.receive(b"abcd");
    dec.receive_eof();
    assert_eq!(dec.next_frame(), Ok(Some(b"abcd".to_vec())));
    assert_eq!(dec.next_frame(), Ok(None));
    assert!(dec.is_finished());
}

#[test]
fn expect_frame_turns_a_clean_eof_into_a_short_read() {
    let mut dec = FixedDecoder::new(16);
    dec.receive_eof();
    assert_eq!(
        dec.expect_frame(),
        Err(FrameError::ShortRead {
            expected: 16,
            received: 0
        })
    );
}
