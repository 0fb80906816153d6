"""Electrode placement and skin preparation, in words (SENIAM; docs/hardware.md).

One home for the text the calibration wizard shows beside its diagrams and the
report prints for the physiotherapist.
"""
from __future__ import annotations

from .model import Muscle

#: (title, what to do) per muscle (Hermens et al. 2000; seniam.org)
PLACEMENT_TEXT = {
    Muscle.GLUTE: (
        "Gluteus maximus, both sides",
        "Find the bony bump at the side of the hip (greater trochanter) and the middle of the "
        "sacrum (flat bone above the buttock cleft). Place the sensor half way between them, on "
        "the greatest bulge of the buttock — well above the fold. Line the two electrodes up "
        "along the line from the back hip bone (PSIS) towards the middle of the back of the "
        "thigh. Reference electrode on the bony iliac crest."),
    Muscle.ERECTOR: (
        "Lumbar erector spinae (longissimus), both sides",
        "Find L1: follow the lowest rib towards the spine, or count up from the top of the "
        "pelvis (L4) three bumps. Place the sensor two finger widths beside the spine at L1, "
        "the two electrodes vertical (along the spine). Use the same site every session: "
        "amplitudes, and so the ratio, change with the site."),
}

SKIN_PREP = ("Skin: shave the site, rub lightly with abrasive paste or fine tape, clean with "
             "alcohol and let it dry. Tape the cables so they cannot pull during the lift.")

ELECTRODES = ("Bipolar Ag/AgCl electrodes, 20 mm centre to centre along the fibres "
              "(MyoWare 2.0 snaps), reference on the iliac crest (SENIAM).")
