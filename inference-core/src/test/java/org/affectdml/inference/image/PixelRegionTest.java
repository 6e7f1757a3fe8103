package org.affectdml.inference.image;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PixelRegionTest {

    @Test
    void boxInsideTheImageCoversFloorToCeil() {
        assertEquals(new PixelRegion(10, 20, 31, 41), PixelRegion.ofPersonBox(10.5, 20, 40.2, 61, 100, 100));
    }

    @Test
    void boxPartlyOutsideIsClampedToTheImage() {
        assertEquals(new PixelRegion(0, 0, 50, 30), PixelRegion.ofPersonBox(-20, -5, 50, 400, 640, 30));
    }

    @Test
    void zeroAreaBoxIsRejectedWithTheBoxInTheMessage() {
        InvalidImageException e = assertThrows(InvalidImageException.class, () -> PixelRegion.ofPersonBox(5, 5, 5, 50, 100, 100));
        assertTrue(e.getMessage().contains("x1=5, y1=5, x2=5, y2=50") && e.getMessage().contains("zero"), e.getMessage());
    }

    @Test
    void boxWhollyOutsideIsRejectedWithTheImageSize() {
        InvalidImageException e = assertThrows(InvalidImageException.class, () -> PixelRegion.ofPersonBox(200, 10, 300, 50, 100, 80));
        assertTrue(e.getMessage().contains("outside the 100x80 image"), e.getMessage());
    }

    @Test
    void nonFiniteCoordinatesAreRejected() {
        assertThrows(InvalidImageException.class, () -> PixelRegion.ofPersonBox(Double.NaN, 0, 10, 10, 100, 100));
    }
}
