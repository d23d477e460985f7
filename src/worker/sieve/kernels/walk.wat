;; One prime (p = 30a + r) walking the wheel one multiple at a time from byte $at at wheel
;; index $w, clearing a bit at each, until it leaves the segment at $end. Returns where it
;; left (>= $end); its wheel index there is left in $wheel. Shared by the small and medium
;; primes; tables as in small-primes.wat.
(global $wheel (mut i32) (i32.const 0))

(func $walk (param $segment i32) (param $end i32) (param $a i32) (param $at i32) (param $w i32) (result i32)
  (local $byte i32)
  (block $left
    (loop $step
      (br_if $left (i32.ge_s (local.get $at) (local.get $end)))
      (local.set $byte (i32.add (local.get $segment) (local.get $at)))
      (i32.store8 (local.get $byte) (i32.and (i32.load8_u (local.get $byte)) (i32.load8_u offset=1536 (local.get $w))))
      (local.set $at (i32.add (local.get $at)
        (i32.add (i32.mul (local.get $a) (i32.load8_u offset=1664 (i32.and (local.get $w) (i32.const 7))))
                 (i32.load8_u offset=1600 (local.get $w)))))
      ;; The next wheel index: the same prime's row, the next multiplier.
      (local.set $w (i32.or (i32.and (local.get $w) (i32.const -8)) (i32.and (i32.add (local.get $w) (i32.const 1)) (i32.const 7))))
      (br $step)))
  (global.set $wheel (local.get $w))
  (local.get $at))
