package org.affectdml.inference.embedding;

import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.RgbImage;

/** One sample of the method: a decoded image and the clamped box of the person of interest. */
public record PersonInImage(RgbImage image, PixelRegion body) {
}
