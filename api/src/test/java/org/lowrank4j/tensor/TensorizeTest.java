package org.lowrank4j.tensor;

import ai.djl.ndarray.types.Shape;
import ai.djl.util.Pair;
import org.testng.Assert;
import org.testng.annotations.Test;

public class TensorizeTest {

    private static void check(long in, long out, int order, Shape inShape, Shape outShape) {
        Pair<Shape, Shape> s = Tensorize.shapes(in, out, order);
        Assert.assertEquals(s.getKey(), inShape, "input shape of " + in + "," + out);
        Assert.assertEquals(s.getValue(), outShape, "output shape of " + in + "," + out);
    }

    @Test
    public void referenceShapes() {
        check(16, 10, 3, new Shape(4, 4), new Shape(2, 5));
        check(512, 1000, 3, new Shape(4, 8, 16), new Shape(5, 8, 25));
        check(768, 3072, 3, new Shape(4, 12, 16), new Shape(8, 16, 24));
    }

    @Test
    public void primesStayWhole() {
        check(7, 12, 3, new Shape(7), new Shape(12));
        check(12, 13, 2, new Shape(12), new Shape(13));
        check(1, 4, 2, new Shape(1), new Shape(4));
        Pair<Shape, Shape> s = Tensorize.shapes(256, 256);
        Assert.assertEquals(s.getKey().dimension(), 8);
        Assert.assertEquals(s.getKey().size(), 256);
    }

    @Test
    public void badSizesAreRejected() {
        Assert.expectThrows(IllegalArgumentException.class, () -> Tensorize.shapes(0, 4, 2));
        Assert.expectThrows(IllegalArgumentException.class, () -> Tensorize.shapes(4, 4, 0));
    }
}
