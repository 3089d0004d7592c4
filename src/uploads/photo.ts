/**
 * The pixel size of a photo as a person sees it: JPEGs from phones are often
 * stored landscape with an EXIF orientation that turns them portrait, so the
 * width and height are swapped for orientations 5–8.
 */
import { imageSize } from 'image-size';

export function photoDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  try {
    const size = imageSize(bytes);
    if (!size.width || !size.height) return undefined;
    const turned = size.orientation !== undefined && size.orientation >= 5 && size.orientation <= 8;
    return turned ? { width: size.height, height: size.width } : { width: size.width, height: size.height };
  } catch {
    return undefined;
  }
}
