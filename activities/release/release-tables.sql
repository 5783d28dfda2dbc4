-- Release tables, written once per build by the single-writer release step.
-- lesions: the training lesions with their labels; benchmark_lesions: the held-out lesions without them.
CREATE TABLE lesions (
  lesion_id VARCHAR PRIMARY KEY, centre VARCHAR NOT NULL, age_approx INTEGER, sex VARCHAR,
  skin_tone_class INTEGER, site VARCHAR, diagnosis_full VARCHAR NOT NULL, diagnosis_class VARCHAR NOT NULL,
  diagnosis_1 VARCHAR NOT NULL, diagnosis_2 VARCHAR, diagnosis_3 VARCHAR, diagnosis_4 VARCHAR, diagnosis_5 VARCHAR,
  diagnosis_confirm_type VARCHAR, invasion_thickness_interval VARCHAR
);
CREATE TABLE benchmark_lesions (
  lesion_id VARCHAR PRIMARY KEY, centre VARCHAR NOT NULL, age_approx INTEGER, sex VARCHAR, skin_tone_class INTEGER, site VARCHAR
);
CREATE TABLE images (
  isic_id VARCHAR PRIMARY KEY, lesion_id VARCHAR NOT NULL, split VARCHAR NOT NULL, image_type VARCHAR NOT NULL, image_manipulation VARCHAR,
  sha256 VARCHAR NOT NULL, width INTEGER, height INTEGER, file_size INTEGER, mean_luma DOUBLE, sharpness DOUBLE, sharpness_ratio DOUBLE,
  dark DOUBLE, light DOUBLE, low_information DOUBLE, grayscale DOUBLE, odd_aspect_ratio DOUBLE, colour_cast DOUBLE, modality DOUBLE, burned_in_text DOUBLE, phash VARCHAR,
  qc_warnings VARCHAR, duplicate_group INTEGER,
  MONET_ulceration_crust DOUBLE, MONET_hair DOUBLE, MONET_vasculature_vessels DOUBLE, MONET_erythema DOUBLE,
  MONET_pigmented DOUBLE, MONET_gel_water_drop_fluid_dermoscopy_liquid DOUBLE, MONET_skin_markings_pen_ink_purple_pen DOUBLE
);
CREATE TABLE exclusions (centre VARCHAR NOT NULL, stage VARCHAR NOT NULL, entity VARCHAR NOT NULL, reason VARCHAR NOT NULL);
CREATE TABLE duplicates (
  duplicate_group INTEGER NOT NULL, isic_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, max_distance INTEGER NOT NULL,
  cross_lesion BOOLEAN NOT NULL
);
-- all_lesions: both splits in one relation; a benchmark lesion's label columns are NULL (never its label).
CREATE VIEW all_lesions AS
  SELECT lesion_id, 'train' AS split, centre, age_approx, sex, skin_tone_class, site, diagnosis_full, diagnosis_class,
    diagnosis_1, diagnosis_2, diagnosis_3, diagnosis_4, diagnosis_5, diagnosis_confirm_type, invasion_thickness_interval
  FROM lesions
  UNION ALL
  SELECT lesion_id, 'benchmark' AS split, centre, age_approx, sex, skin_tone_class, site, NULL::VARCHAR AS diagnosis_full, NULL::VARCHAR AS diagnosis_class,
    NULL::VARCHAR AS diagnosis_1, NULL::VARCHAR AS diagnosis_2, NULL::VARCHAR AS diagnosis_3, NULL::VARCHAR AS diagnosis_4, NULL::VARCHAR AS diagnosis_5,
    NULL::VARCHAR AS diagnosis_confirm_type, NULL::VARCHAR AS invasion_thickness_interval
  FROM benchmark_lesions;
-- all_images: every image with its lesion's public columns, whichever split (a join to lesions alone drops the benchmark).
CREATE VIEW all_images AS
  SELECT i.*, l.centre, l.age_approx, l.sex, l.skin_tone_class, l.site, l.diagnosis_class
  FROM images i LEFT JOIN all_lesions l USING (lesion_id);
