;; Crossing off for primes much smaller than a segment (primesieve's EratSmall): a prime p
;; clears 8 bits per p bytes at offsets and masks that depend only on p and where it stands on
;; the wheel, so one pass of the loop clears all 8 and moves p bytes on. The rest of the
;; segment, less than a turn, is walked one multiple at a time.
;;
;; $primes, $offsets: i32 arrays; $wheels: u8 array; $count entries. Each prime's offset (its
;; next multiple, in bytes from the segment's start) and wheel index are updated for the next
;; segment. Tables (sieve-core.ts writes them): TURN_GAPS at 0, TURN_CORRECTIONS at 512,
;; TURN_MASKS at 1024 (64 wheel indexes x 8 steps each), CLEAR at 1536, CORRECTION at 1600,
;; GAPS at 1664.
(func (export "crossOffSmall")
  (param $segment i32) (param $end i32) (param $primes i32) (param $offsets i32) (param $wheels i32) (param $count i32)
  (local $i i32) (local $p i32) (local $a i32) (local $at i32) (local $w i32) (local $t i32) (local $limit i32) (local $byte i32)
  (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $o4 i32) (local $o5 i32) (local $o6 i32) (local $o7 i32)
  (local $m0 i32) (local $m1 i32) (local $m2 i32) (local $m3 i32) (local $m4 i32) (local $m5 i32) (local $m6 i32) (local $m7 i32)
  (block $primesDone
    (loop $nextPrime
      (br_if $primesDone (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $p (i32.load (i32.add (local.get $primes) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $a (i32.div_u (local.get $p) (i32.const 30)))
      (local.set $at (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $w (i32.load8_u (i32.add (local.get $wheels) (local.get $i))))
      ;; Step k of a turn from wheel index w: a * TURN_GAPS[8w + k] + TURN_CORRECTIONS[8w + k] bytes on.
      (local.set $t (i32.shl (local.get $w) (i32.const 3)))
      (local.set $o1 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=1 (local.get $t))) (i32.load8_u offset=513 (local.get $t))))
      (local.set $o2 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=2 (local.get $t))) (i32.load8_u offset=514 (local.get $t))))
      (local.set $o3 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=3 (local.get $t))) (i32.load8_u offset=515 (local.get $t))))
      (local.set $o4 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=4 (local.get $t))) (i32.load8_u offset=516 (local.get $t))))
      (local.set $o5 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=5 (local.get $t))) (i32.load8_u offset=517 (local.get $t))))
      (local.set $o6 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=6 (local.get $t))) (i32.load8_u offset=518 (local.get $t))))
      (local.set $o7 (i32.add (i32.mul (local.get $a) (i32.load8_u offset=7 (local.get $t))) (i32.load8_u offset=519 (local.get $t))))
      (local.set $m0 (i32.load8_u offset=1024 (local.get $t)))
      (local.set $m1 (i32.load8_u offset=1025 (local.get $t)))
      (local.set $m2 (i32.load8_u offset=1026 (local.get $t)))
      (local.set $m3 (i32.load8_u offset=1027 (local.get $t)))
      (local.set $m4 (i32.load8_u offset=1028 (local.get $t)))
      (local.set $m5 (i32.load8_u offset=1029 (local.get $t)))
      (local.set $m6 (i32.load8_u offset=1030 (local.get $t)))
      (local.set $m7 (i32.load8_u offset=1031 (local.get $t)))
      ;; Whole turns while the last of their 8 multiples is inside the segment.
      (local.set $limit (i32.sub (local.get $end) (local.get $o7)))
      (block $turnsDone
        (loop $turn
          (br_if $turnsDone (i32.ge_s (local.get $at) (local.get $limit)))
          (local.set $byte (i32.add (local.get $segment) (local.get $at)))
          (i32.store8 (local.get $byte) (i32.and (i32.load8_u (local.get $byte)) (local.get $m0)))
          (local.set $t (i32.add (local.get $byte) (local.get $o1)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m1)))
          (local.set $t (i32.add (local.get $byte) (local.get $o2)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m2)))
          (local.set $t (i32.add (local.get $byte) (local.get $o3)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m3)))
          (local.set $t (i32.add (local.get $byte) (local.get $o4)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m4)))
          (local.set $t (i32.add (local.get $byte) (local.get $o5)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m5)))
          (local.set $t (i32.add (local.get $byte) (local.get $o6)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m6)))
          (local.set $t (i32.add (local.get $byte) (local.get $o7)))
          (i32.store8 (local.get $t) (i32.and (i32.load8_u (local.get $t)) (local.get $m7)))
          (local.set $at (i32.add (local.get $at) (local.get $p)))
          (br $turn)))
      (local.set $at (call $walk (local.get $segment) (local.get $end) (local.get $a) (local.get $at) (local.get $w)))
      (i32.store (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $at) (local.get $end)))
      (i32.store8 (i32.add (local.get $wheels) (local.get $i)) (global.get $wheel))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $nextPrime))))
