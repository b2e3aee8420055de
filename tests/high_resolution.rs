//! A portrait at 1024 px, the way `linseg segment` and the page see it: with the 256-px global
//! pass (src/refine.rs) every mode keeps the person it finds at 256 px, while the network alone
//! in one pass at 1024 px loses most of it (IoU 0.08 against its 256-px mask here). The bound,
//! 0.85, leaves room for the detail pass to redraw the edges where a mode's 256-px mask is
//! unsure: the blocks trained against the truth have softer masks there than the pretrained
//! network (efficient: 0.954, the rest 0.97–0.98).

use std::path::Path;

use burn::tensor::Device;
use linseg::attention::AttentionMode;
use linseg::native::weight_files;
use linseg::network::Network;
use linseg::pipeline::segment_photo_blocking;
use linseg::refine::Plan;
use linseg::tools::eval;
use linseg::{photo, preprocess};

#[test]
fn every_mode_keeps_the_person_at_1024_px() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("tests/fixtures/photos/grace_hopper.jpg")).unwrap();
    let portrait = photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS).unwrap();
    let device = Device::flex();
    let models = root.join("models");
    let pretrained = Network::new(
        weight_files::load(&models, AttentionMode::None, &device).unwrap(),
        &device,
    );
    let reference = segment_photo_blocking(&pretrained, &portrait, 256)
        .unwrap()
        .mask;

    // The network alone: the detail pass of the 1024-px plan, without the global one.
    let plan = Plan::new(portrait.width(), portrait.height(), 1024);
    let passes = pretrained.run_passes_blocking(&portrait, &plan).unwrap();
    let alone = preprocess::to_mask(&passes.detail, &plan.detail);
    let alone_iou = eval::iou(&alone, &reference);
    println!("none alone, one pass at 1024 px: IoU {alone_iou:.3}");
    assert!(
        alone_iou < 0.5,
        "the network alone at 1024 px: {alone_iou:.3}"
    );

    for mode in AttentionMode::ALL {
        let net = Network::new(weight_files::load(&models, mode, &device).unwrap(), &device);
        let at_256 = segment_photo_blocking(&net, &portrait, 256).unwrap().mask;
        let mask = segment_photo_blocking(&net, &portrait, 1024).unwrap().mask;
        let iou = eval::iou(&mask, &at_256);
        println!("{mode} at 1024 px, two passes: IoU {iou:.3} against its own mask at 256 px");
        assert!(
            iou >= 0.85,
            "{mode} at 1024 px: IoU {iou:.3} against its own 256-px mask"
        );
    }
}
