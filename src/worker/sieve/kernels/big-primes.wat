;; Crossing off for primes much larger than a segment (primesieve's EratBig, after Tomás
;; Oliveira e Silva's bucket sieve): such a prime hits a segment rarely, so instead of visiting
;; every one in every segment, each waits in the list of the segment where its next multiple
;; lies (see big-primes.ts for the layout). A list is a chain of blocks of 1024 entries; an
;; entry is the prime and its byte in that segment x 64 + its wheel index. A ring slot is two
;; i32 at $ring + 8 x slot: its newest block (0: none) and that block's entries. A block is
;; 8 bytes (the next block in its chain, then 4 unused) and its entries: 8200 bytes.
;;
;; Blocks come from $free (a chain of given-back blocks, 0: none), else from $bump (never used
;; yet). big-primes.ts keeps memory for every block that can be needed at once beyond $bump,
;; so taking one cannot fail.
(global $free (export "free") (mut i32) (i32.const 0))
(global $bump (export "bump") (mut i32) (i32.const 0))

(func $push (export "bucketPush") (param $ring i32) (param $slot i32) (param $p i32) (param $packed i32)
  (local $state i32) (local $block i32) (local $fill i32) (local $taken i32) (local $entry i32)
  (local.set $state (i32.add (local.get $ring) (i32.shl (local.get $slot) (i32.const 3))))
  (local.set $block (i32.load (local.get $state)))
  (local.set $fill (i32.load offset=4 (local.get $state)))
  (if (i32.or (i32.eqz (local.get $block)) (i32.eq (local.get $fill) (i32.const 1024)))
    (then
      (if (global.get $free)
        (then
          (local.set $taken (global.get $free))
          (global.set $free (i32.load (local.get $taken))))
        (else
          (local.set $taken (global.get $bump))
          (global.set $bump (i32.add (local.get $taken) (i32.const 8200)))))
      (i32.store (local.get $taken) (local.get $block))
      (local.set $block (local.get $taken))
      (i32.store (local.get $state) (local.get $block))
      (local.set $fill (i32.const 0))))
  (local.set $entry (i32.add (i32.add (local.get $block) (i32.const 8)) (i32.shl (local.get $fill) (i32.const 3))))
  (i32.store (local.get $entry) (local.get $p))
  (i32.store offset=4 (local.get $entry) (local.get $packed))
  (i32.store offset=4 (local.get $state) (i32.add (local.get $fill) (i32.const 1))))

;; Crosses off in the segment for every prime in ring slot $slot (the current segment's), and
;; files each under the segment of its next multiple; the slot's blocks are given back. Only a
;; task's last segment is shorter than 2^$shift bytes: after it nothing is filed.
(func (export "crossOffBig")
  (param $segment i32) (param $end i32) (param $ring i32) (param $slot i32) (param $mask i32) (param $shift i32)
  (local $state i32) (local $block i32) (local $count i32) (local $entry i32) (local $stop i32)
  (local $p i32) (local $packed i32) (local $at i32) (local $next i32) (local $more i32)
  (local.set $more (i32.eq (local.get $end) (i32.shl (i32.const 1) (local.get $shift))))
  (local.set $state (i32.add (local.get $ring) (i32.shl (local.get $slot) (i32.const 3))))
  (local.set $block (i32.load (local.get $state)))
  (local.set $count (i32.load offset=4 (local.get $state)))
  (i64.store (local.get $state) (i64.const 0))
  (block $blocksDone
    (loop $nextBlock
      (br_if $blocksDone (i32.eqz (local.get $block)))
      (local.set $entry (i32.add (local.get $block) (i32.const 8)))
      (local.set $stop (i32.add (local.get $entry) (i32.shl (local.get $count) (i32.const 3))))
      (block $entriesDone
        (loop $nextEntry
          (br_if $entriesDone (i32.ge_u (local.get $entry) (local.get $stop)))
          (local.set $p (i32.load (local.get $entry)))
          (local.set $packed (i32.load offset=4 (local.get $entry)))
          (local.set $at (call $walk (local.get $segment) (local.get $end)
            (i32.div_u (local.get $p) (i32.const 30))
            (i32.shr_u (local.get $packed) (i32.const 6))
            (i32.and (local.get $packed) (i32.const 63))))
          (if (local.get $more)
            (then (call $push (local.get $ring)
              (i32.and (i32.add (local.get $slot) (i32.shr_u (local.get $at) (local.get $shift))) (local.get $mask))
              (local.get $p)
              (i32.or
                (i32.shl (i32.and (local.get $at) (i32.sub (i32.shl (i32.const 1) (local.get $shift)) (i32.const 1))) (i32.const 6))
                (global.get $wheel)))))
          (local.set $entry (i32.add (local.get $entry) (i32.const 8)))
          (br $nextEntry)))
      ;; Every block after the newest is full. Give this one back.
      (local.set $next (i32.load (local.get $block)))
      (i32.store (local.get $block) (global.get $free))
      (global.set $free (local.get $block))
      (local.set $block (local.get $next))
      (local.set $count (i32.const 1024))
      (br $nextBlock))))
