package org.lowrank4j.tensor;

import ai.djl.ndarray.types.Shape;
import org.testng.Assert;
import org.testng.annotations.Test;

/** Rank resolution, checked against values measured from TensorLy 0.9.0. */
public class RanksTest {

    private static final Shape SMALL = new Shape(32, 16, 3, 3);
    private static final Shape BIG = new Shape(256, 256, 3, 3);

    @Test
    public void cpMatchesTensorLy() {
        Assert.assertEquals(Ranks.cp(SMALL, Rank.same()), 85);
        Assert.assertEquals(Ranks.cp(SMALL, Rank.fraction(0.5)), 43);
        Assert.assertEquals(Ranks.cp(SMALL, Rank.fraction(0.1)), 9);
        Assert.assertEquals(Ranks.cp(BIG, Rank.fraction(0.25)), 285);
        Assert.assertEquals(Ranks.cp(BIG, Rank.fraction(0.1)), 114);
        Assert.assertEquals(Ranks.cp(SMALL, Rank.of(7)), 7);
    }

    @Test
    public void tuckerMatchesTensorLy() {
        Assert.assertEquals(Ranks.tucker(SMALL, Rank.same()), new int[] {30, 15, 3, 3});
        Assert.assertEquals(Ranks.tucker(SMALL, Rank.fraction(0.5)), new int[] {24, 12, 2, 2});
        Assert.assertEquals(Ranks.tucker(SMALL, Rank.fraction(0.1)), new int[] {10, 5, 1, 1});
        Assert.assertEquals(
                Ranks.tucker(SMALL, Rank.fraction(0.5), new int[] {2, 3}), new int[] {19, 9, 3, 3});
        Assert.assertEquals(Ranks.tucker(BIG, Rank.fraction(0.25)), new int[] {150, 150, 2, 2});
        Assert.assertEquals(
                Ranks.tucker(BIG, Rank.fraction(0.25), new int[] {2, 3}),
                new int[] {103, 103, 3, 3});
        Assert.assertEquals(Ranks.tucker(SMALL, Rank.of(4)), new int[] {4, 4, 4, 4});
        Assert.assertEquals(
                Ranks.tucker(SMALL, Rank.of(8), new int[] {2, 3}), new int[] {8, 8, 3, 3});
        Assert.assertEquals(
                Ranks.realizableTucker(SMALL, new int[] {40, 20, 3, 3}), new int[] {32, 16, 3, 3});
        Assert.assertEquals(
                Ranks.realizableTucker(new Shape(10, 10, 2), new int[] {8, 3, 2}),
                new int[] {6, 3, 2});
    }

    @Test
    public void ttMatchesTensorLy() {
        Shape tt = new Shape(16, 3, 3, 32);
        Assert.assertEquals(Ranks.tt(tt, Rank.same()), new int[] {1, 30, 9, 55, 1});
        Assert.assertEquals(Ranks.tt(tt, Rank.fraction(0.5)), new int[] {1, 18, 6, 34, 1});
        Assert.assertEquals(Ranks.tt(tt, Rank.fraction(0.1)), new int[] {1, 5, 2, 10, 1});
        Assert.assertEquals(
                Ranks.tt(new Shape(256, 3, 3, 256), Rank.fraction(0.25)),
                new int[] {1, 268, 6, 268, 1});
        Assert.assertEquals(
                Ranks.realizableTt(tt, Ranks.tt(tt, Rank.fraction(0.5))),
                new int[] {1, 16, 6, 18, 1});
        Assert.assertEquals(Ranks.tt(tt, Rank.of(4)), new int[] {1, 4, 4, 4, 1});
        Assert.assertEquals(Ranks.tt(tt, Rank.of(2, 3, 4)), new int[] {1, 2, 3, 4, 1});
        Assert.assertEquals(Ranks.tt(tt, Rank.of(1, 2, 3, 4, 1)), new int[] {1, 2, 3, 4, 1});
        Assert.assertEquals(
                Ranks.ttMatrix(new Shape(4, 8), new Shape(2, 4), Rank.of(3)), new int[] {1, 3, 1});
    }

    @Test
    public void roundingIsHalfToEven() {
        // (4, 4): R = f * 16 / 8 = 2 f, exact in binary: 2.5 -> 2 and 3.5 -> 4 (half to even)
        Assert.assertEquals(Ranks.cp(new Shape(4, 4), Rank.fraction(1.25)), 2);
        Assert.assertEquals(Ranks.cp(new Shape(4, 4), Rank.fraction(1.75)), 4);
        Assert.assertEquals(Ranks.cp(new Shape(4, 4), Rank.fraction(1.5)), 3);
    }

    @Test
    public void badRequests() {
        Assert.assertThrows(IllegalArgumentException.class, () -> Rank.of(0));
        Assert.assertThrows(IllegalArgumentException.class, () -> Rank.of(-3));
        Assert.assertThrows(IllegalArgumentException.class, () -> Rank.fraction(0));
        Assert.assertThrows(IllegalArgumentException.class, () -> Rank.fraction(-0.5));
        Assert.assertThrows(IllegalArgumentException.class, () -> Rank.fraction(Double.NaN));
        IllegalArgumentException e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Ranks.tucker(SMALL, Rank.of(4, 4, 4)));
        Assert.assertTrue(e.getMessage().contains("[4, 4, 4]"), e.getMessage());
        Assert.assertTrue(e.getMessage().contains("takes 1 or 4"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Ranks.tt(new Shape(4, 5, 6), Rank.of(1, 2, 3, 4)));
        Assert.assertTrue(e.getMessage().contains("[1, 2, 3, 4]"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Ranks.tt(new Shape(4, 5, 6), Rank.of(2, 3, 4, 2)));
        Assert.assertTrue(e.getMessage().contains("first and last"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class, () -> Ranks.tt(new Shape(4), Rank.same()));
        Assert.assertTrue(e.getMessage().contains("order >= 2"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class, () -> Ranks.cp(SMALL, Rank.of(3, 4)));
        Assert.assertTrue(e.getMessage().contains("single rank"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Ranks.tucker(SMALL, Rank.of(4, 4, 2, 3), new int[] {2, 3}));
        Assert.assertTrue(e.getMessage().contains("fixed mode 2"), e.getMessage());
        e =
                Assert.expectThrows(
                        IllegalArgumentException.class,
                        () -> Ranks.tucker(SMALL, Rank.same(), new int[] {4}));
        Assert.assertTrue(e.getMessage().contains("mode 4"), e.getMessage());
    }

    @Test
    public void cpRanksAreClippedToWhatATensorOfTheShapeCanNeed() {
        Shape kernel = new Shape(16, 16, 3, 3);
        Assert.assertEquals(Ranks.cpLimit(kernel), 144); // 2304 / 16
        Assert.assertEquals(Ranks.cp(kernel, Rank.of(100_000)), 144);
        Assert.assertEquals(Ranks.cp(kernel, Rank.of(Integer.MAX_VALUE)), 144);
        Assert.assertEquals(Ranks.cp(kernel, Rank.of(100)), 100);
        // the largest fraction still resolves within the limit
        Assert.assertEquals(Ranks.cp(kernel, Rank.fraction(Rank.MAX_FRACTION)), 144);
        Assert.assertEquals(Ranks.cp(kernel, Rank.fraction(2.0)), 121);
        Assert.assertEquals(Ranks.cpLimit(new Shape(7)), 1);
    }

    @Test
    public void fractionsOutsideTheAcceptedRangeAreRefused() {
        for (double f : new double[] {30, 1e6, 10.5, 0, -0.5, Double.NaN}) {
            IllegalArgumentException e =
                    Assert.expectThrows(IllegalArgumentException.class, () -> Rank.fraction(f));
            Assert.assertTrue(e.getMessage().contains(String.valueOf(f)), e.getMessage());
            Assert.assertTrue(e.getMessage().contains("(0, 10.0]"), e.getMessage());
        }
        Assert.assertEquals(Rank.fraction(10).getFraction(), 10.0);
    }
}
