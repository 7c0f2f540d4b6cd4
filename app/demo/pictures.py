"""A drawn 1-inch style portrait: the demo's photos, and the test corpus's (tests/media/corpus.py)."""
from PIL import Image, ImageDraw

WHITE = (255, 255, 255)


def portrait(size=(300, 420), background=WHITE) -> Image.Image:
    """Hair, face and shoulders in colour on a plain background."""
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = width / 100, height / 100
    draw.polygon([(0, height), (0, 85 * h), (25 * w, 72 * h), (75 * w, 72 * h), (width, 85 * h), (width, height)],
                 fill=(30, 50, 120))  # jacket reaching the sides low down, as shoulders do
    draw.rectangle((42 * w, 55 * h, 58 * w, 75 * h), fill=(225, 180, 150))  # neck
    draw.ellipse((27 * w, 12 * h, 73 * w, 40 * h), fill=(40, 30, 25))  # hair
    draw.ellipse((30 * w, 18 * h, 70 * w, 62 * h), fill=(235, 195, 165))  # face
    draw.ellipse((40 * w, 35 * h, 45 * w, 38 * h), fill=(40, 30, 25))
    draw.ellipse((55 * w, 35 * h, 60 * w, 38 * h), fill=(40, 30, 25))
    draw.rectangle((45 * w, 50 * h, 55 * w, 52 * h), fill=(190, 60, 60))  # mouth
    return image
