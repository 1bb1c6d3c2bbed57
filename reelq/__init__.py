"""reelq: durable video-upload jobs with analysis and push."""

__version__ = "0.1.0"
