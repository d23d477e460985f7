;; Primes and twin pairs in a sieved segment, 64 bits at a time (see count-bits.ts for why
;; `bits & (bits >> 1) & 0x9494...` marks one bit per twin pair). $words: the segment, $n
;; 64-bit words of it, the bytes past its end zero. Returns the primes and the twin pairs
;; (pairs reaching into the next segment not included).
(func (export "countSegment") (param $words i32) (param $n i32) (result i32 i32)
  (local $end i32) (local $at i32) (local $word i64) (local $next i64) (local $primes i64) (local $twins i64)
  (local.set $end (i32.add (local.get $words) (i32.shl (local.get $n) (i32.const 3))))
  (local.set $at (local.get $words))
  (if (i32.gt_s (local.get $n) (i32.const 0)) (then (local.set $word (i64.load (local.get $at)))))
  (block $done
    (loop $nextWord
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $next (select
        (i64.load offset=8 (local.get $at))
        (i64.const 0)
        (i32.lt_u (i32.add (local.get $at) (i32.const 8)) (local.get $end))))
      (local.set $primes (i64.add (local.get $primes) (i64.popcnt (local.get $word))))
      (local.set $twins (i64.add (local.get $twins) (i64.popcnt
        (i64.and
          (i64.and (local.get $word) (i64.or (i64.shr_u (local.get $word) (i64.const 1)) (i64.shl (local.get $next) (i64.const 63))))
          (i64.const 0x9494949494949494)))))
      (local.set $word (local.get $next))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br $nextWord)))
  (i32.wrap_i64 (local.get $primes))
  (i32.wrap_i64 (local.get $twins)))
