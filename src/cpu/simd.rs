//! Eight floats at a time, on whatever vector unit the machine has, and the choice of it.
//!
//! Every kernel works on groups of eight channels ([`LANES`]) and is written once, generic over
//! [`Simd`]: AVX2 + FMA holds a group in one 256-bit register, WebAssembly SIMD128 in two
//! 128-bit ones, and [`Scalar`] in eight floats (any other machine). [`vectorised!`] compiles a
//! kernel for each, and the caller says which runs ([`Form`]): on x86-64, [`Form::best`] is AVX2
//! when the CPU has it. WebAssembly has no run-time detection: the browser build enables
//! SIMD128 for the whole module (`.cargo/config.toml`).

/// Floats per group: one AVX2 register, two SIMD128 registers.
pub const LANES: usize = 8;

/// Operations on a group of [`LANES`] floats.
pub trait Simd {
    /// A group of eight floats, in registers.
    type F8: Copy;

    /// How many groups of output channels a 1×1 convolution's register tile holds (its tile is
    /// 4 pixels × this many groups): as many as the registers allow. AVX2 has sixteen 8-float
    /// registers: 4 × 2 accumulators fit with room for the loads. WebAssembly has 4-float
    /// vectors, two per group, and V8 gives them sixteen registers on x86: 4 × 1 (eight
    /// vectors) fits, 4 × 2 (sixteen) spills accumulators to memory in the inner loop.
    const TILE_GROUPS: usize;

    /// Eight copies of `v`.
    fn splat(v: f32) -> Self::F8;
    /// Four copies of `low`, then four of `high`.
    fn splat_halves(low: f32, high: f32) -> Self::F8;
    /// The first eight values of `v`.
    fn load(v: &[f32]) -> Self::F8;
    /// Write the group to the first eight values of `out`.
    fn store(v: Self::F8, out: &mut [f32]);
    /// `a · b + c`, fused where the machine can.
    fn mul_add(a: Self::F8, b: Self::F8, c: Self::F8) -> Self::F8;
    /// `a + b`.
    fn add(a: Self::F8, b: Self::F8) -> Self::F8;
    /// `a · b`.
    fn mul(a: Self::F8, b: Self::F8) -> Self::F8;
    /// Lane-wise maximum.
    fn max(a: Self::F8, b: Self::F8) -> Self::F8;
    /// Lane-wise minimum.
    fn min(a: Self::F8, b: Self::F8) -> Self::F8;
}

/// Plain floats: any machine (the baseline everywhere but WebAssembly with SIMD128).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub struct Scalar;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Simd for Scalar {
    type F8 = [f32; LANES];
    const TILE_GROUPS: usize = 2;

    #[inline(always)]
    fn splat(v: f32) -> Self::F8 {
        [v; LANES]
    }
    #[inline(always)]
    fn splat_halves(low: f32, high: f32) -> Self::F8 {
        std::array::from_fn(|i| if i < LANES / 2 { low } else { high })
    }
    #[inline(always)]
    fn load(v: &[f32]) -> Self::F8 {
        v[..LANES].try_into().expect("eight floats")
    }
    #[inline(always)]
    fn store(v: Self::F8, out: &mut [f32]) {
        out[..LANES].copy_from_slice(&v);
    }
    #[inline(always)]
    fn mul_add(a: Self::F8, b: Self::F8, c: Self::F8) -> Self::F8 {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    fn add(a: Self::F8, b: Self::F8) -> Self::F8 {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    fn mul(a: Self::F8, b: Self::F8) -> Self::F8 {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    fn max(a: Self::F8, b: Self::F8) -> Self::F8 {
        std::array::from_fn(|i| a[i].max(b[i]))
    }
    #[inline(always)]
    fn min(a: Self::F8, b: Self::F8) -> Self::F8 {
        std::array::from_fn(|i| a[i].min(b[i]))
    }
}

/// AVX2 with fused multiply-add (x86-64 since 2013–2015): one 256-bit register. Only called
/// from code compiled with those features, after the CPU was checked to have them.
#[cfg(target_arch = "x86_64")]
pub struct Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Avx2, LANES, Simd};

    // SAFETY (every block below): `Avx2` is only used inside functions compiled with
    // `avx2,fma`, which `vectorised!` calls for an AVX2 `Form`, made only after detecting both;
    // loads and stores are of eight floats that the slicing has just checked to be there.
    impl Simd for Avx2 {
        type F8 = __m256;
        const TILE_GROUPS: usize = 2;

        #[inline(always)]
        fn splat(v: f32) -> __m256 {
            unsafe { _mm256_set1_ps(v) }
        }
        #[inline(always)]
        fn splat_halves(low: f32, high: f32) -> __m256 {
            unsafe { _mm256_set_m128(_mm_set1_ps(high), _mm_set1_ps(low)) }
        }
        #[inline(always)]
        fn load(v: &[f32]) -> __m256 {
            let v = &v[..LANES];
            unsafe { _mm256_loadu_ps(v.as_ptr()) }
        }
        #[inline(always)]
        fn store(v: __m256, out: &mut [f32]) {
            let out = &mut out[..LANES];
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) }
        }
        #[inline(always)]
        fn mul_add(a: __m256, b: __m256, c: __m256) -> __m256 {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        fn add(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        fn mul(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        fn max(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_max_ps(a, b) }
        }
        #[inline(always)]
        fn min(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_min_ps(a, b) }
        }
    }
}

/// WebAssembly SIMD128: two 128-bit registers (no fused multiply-add without relaxed SIMD).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub struct Wasm128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm128 {
    use std::arch::wasm32::*;

    use super::{LANES, Simd, Wasm128};

    impl Simd for Wasm128 {
        type F8 = (v128, v128);
        const TILE_GROUPS: usize = 1;

        #[inline(always)]
        fn splat(v: f32) -> Self::F8 {
            (f32x4_splat(v), f32x4_splat(v))
        }
        #[inline(always)]
        fn splat_halves(low: f32, high: f32) -> Self::F8 {
            (f32x4_splat(low), f32x4_splat(high))
        }
        #[inline(always)]
        fn load(v: &[f32]) -> Self::F8 {
            let v = &v[..LANES];
            // SAFETY: eight floats are there (just sliced); v128 loads need no alignment.
            unsafe {
                (
                    v128_load(v.as_ptr() as *const v128),
                    v128_load(v.as_ptr().add(4) as *const v128),
                )
            }
        }
        #[inline(always)]
        fn store(v: Self::F8, out: &mut [f32]) {
            let out = &mut out[..LANES];
            // SAFETY: eight floats are there (just sliced); v128 stores need no alignment.
            unsafe {
                v128_store(out.as_mut_ptr() as *mut v128, v.0);
                v128_store(out.as_mut_ptr().add(4) as *mut v128, v.1);
            }
        }
        #[inline(always)]
        fn mul_add(a: Self::F8, b: Self::F8, c: Self::F8) -> Self::F8 {
            (
                f32x4_add(f32x4_mul(a.0, b.0), c.0),
                f32x4_add(f32x4_mul(a.1, b.1), c.1),
            )
        }
        #[inline(always)]
        fn add(a: Self::F8, b: Self::F8) -> Self::F8 {
            (f32x4_add(a.0, b.0), f32x4_add(a.1, b.1))
        }
        #[inline(always)]
        fn mul(a: Self::F8, b: Self::F8) -> Self::F8 {
            (f32x4_mul(a.0, b.0), f32x4_mul(a.1, b.1))
        }
        #[inline(always)]
        fn max(a: Self::F8, b: Self::F8) -> Self::F8 {
            (f32x4_pmax(a.0, b.0), f32x4_pmax(a.1, b.1))
        }
        #[inline(always)]
        fn min(a: Self::F8, b: Self::F8) -> Self::F8 {
            (f32x4_pmin(a.0, b.0), f32x4_pmin(a.1, b.1))
        }
    }
}

/// The vector unit of a browser build: SIMD128.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub type Baseline = Wasm128;

/// The vector unit every machine of the target has: plain floats, which the compiler
/// vectorises as far as it can (SSE2 on x86-64).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type Baseline = Scalar;

/// The vector units a kernel is compiled for on this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

/// One of the forms a `vectorised!` kernel is compiled in, which the running machine can
/// execute: [`Form::baseline`] always, [`Form::avx2`] where the CPU has it. A form is passed to
/// a kernel so that the tests run each form of each kernel, side by side, in one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form(Unit);

impl Form {
    /// The `Baseline` form: plain floats, or SIMD128 in the browser build.
    pub fn baseline() -> Form {
        Form(Unit::Baseline)
    }

    /// The `Avx2` form, where the CPU has AVX2 and FMA.
    pub fn avx2() -> Option<Form> {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Some(Form(Unit::Avx2));
        }
        None
    }

    /// The fastest form the CPU has, or the baseline where [`force_baseline`] says so.
    pub fn best() -> Form {
        if FORCE_BASELINE.load(std::sync::atomic::Ordering::Relaxed) {
            return Form::baseline();
        }
        Form::avx2().unwrap_or_else(Form::baseline)
    }

    /// Whether this is the [`Avx2`] form (read by [`vectorised!`]).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn is_avx2(self) -> bool {
        self.0 == Unit::Avx2
    }
}

/// Whether [`Form::best`] is the [`Baseline`] even where AVX2 is there.
static FORCE_BASELINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Make every kernel run in the `Baseline` form (`on`) or the best the CPU has (`!on`, the
/// default), process-wide: for the command line's `--baseline`, which compares the forms on a
/// whole photo.
pub fn force_baseline(on: bool) {
    FORCE_BASELINE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Define `fn name(form: Form, args) body`: its body, generic over `S: Simd`, is compiled for
/// the machine's [`Baseline`] and, on x86-64, a second time for [`Avx2`]; `form` says which
/// runs (a [`Form`] is only made for a unit the CPU has). Everything the body calls must be
/// `#[inline(always)]`, so that it is compiled with the body's instruction set.
macro_rules! vectorised {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
        $vis fn $name(form: $crate::cpu::simd::Form, $($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body<S: $crate::cpu::simd::Simd>($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            if form.is_avx2() {
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body::<$crate::cpu::simd::Avx2>($($arg),*)
                }
                // SAFETY: an AVX2 form is only made where the CPU has AVX2 and FMA.
                return unsafe { avx2($($arg),*) };
            }
            body::<$crate::cpu::simd::Baseline>($($arg),*)
        }
    };
}

pub(crate) use vectorised;
