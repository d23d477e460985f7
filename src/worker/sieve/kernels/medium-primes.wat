;; Crossing off for primes about the size of a segment (primesieve's EratMedium): each clears
;; only a few bits per segment, too few for the unrolled turn of crossOffSmall to pay for
;; setting up, so it walks the wheel one multiple at a time. Arrays as in small-primes.wat.
(func (export "crossOffMedium")
  (param $segment i32) (param $end i32) (param $primes i32) (param $offsets i32) (param $wheels i32) (param $count i32)
  (local $i i32) (local $at i32)
  (block $primesDone
    (loop $nextPrime
      (br_if $primesDone (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $at (call $walk
        (local.get $segment) (local.get $end)
        (i32.div_u (i32.load (i32.add (local.get $primes) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 30))
        (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))))
        (i32.load8_u (i32.add (local.get $wheels) (local.get $i)))))
      (i32.store (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $at) (local.get $end)))
      (i32.store8 (i32.add (local.get $wheels) (local.get $i)) (global.get $wheel))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $nextPrime))))
