/**
 * Synthetic admitted students, deterministic from a seed: every category of
 * the domain (UG JUPAS/non-JUPAS, TPG, RPG; local and non-local), realistic
 * programme codes, and supplementary documents owed by some postgraduates.
 * Used for the sample cohort under data/ and by the import benchmark.
 *
 *   npx tsx test/kit/synthetic-students.ts --count 300 --seed 2027 > data/cohort-2027.csv
 */
import { parseArgs } from 'node:util';
import { CSV_COLUMNS, type StudentRow } from '../../src/import/rows';

type Row = { [K in (typeof CSV_COLUMNS)[number]]: string };

const SURNAMES = [
  'Chan',
  'Wong',
  'Lee',
  'Cheung',
  'Lau',
  'Ho',
  'Ng',
  'Leung',
  'Tsang',
  'Yip',
  'Kwok',
  'Lam',
  'Tam',
  'Mak',
  'Fung',
  'Choi',
  'Poon',
  'Yeung',
  'Lo',
  'Tang',
];
const GIVEN = ['Tai Man', 'Siu Ming', 'Ka Yan', 'Wing Sze', 'Chi Hung', 'Hoi Ling', 'Tsz Ching', 'Ho Yin', 'Man Kit', 'Pui Shan', 'Yuk Ying', 'Kwok Wai'];
const INTERNATIONAL = [
  ['Zhang', 'Wei'],
  ['Li', 'Na'],
  ['Wang', 'Fang'],
  ['Kim', 'Min-jun'],
  ['Park', 'Seo-yeon'],
  ['Nguyen', 'Linh'],
  ['Sharma', 'Aarav'],
  ['Patel', 'Diya'],
  ['Tanaka', 'Yuki'],
  ['Müller', 'Lena'],
  ['García', 'Lucía'],
  ['Smith', 'Olivia'],
  ['Rahman', 'Nadia'],
  ['Santos', 'Miguel'],
];
const PROGRAMS: Record<StudentRow['studyLevel'], string[]> = {
  UG: ['BSC-COMP', 'BENG-CIVL', 'BENG-ELEC', 'BBA-GBUS', 'BBA-FINA', 'BSC-MATH', 'BSC-PHYS', 'BSC-BIOT', 'BSC-ENVS'],
  TPG: ['MSC-IT', 'MSC-BDT', 'MSC-FINA', 'MBA-FT', 'MSC-EEM', 'MA-SOSC'],
  RPG: ['MPHIL-CSE', 'PHD-CSE', 'PHD-PHYS', 'MPHIL-CHEM', 'PHD-ECON', 'MPHIL-LIFS'],
};

/**
 * The yearly tuition fee of each undergraduate program for local students, who settle it through registration
 * (docs/domain.md, The tuition fee). HKUST's undergraduate programs are publicly funded, and the government sets one
 * local fee for all of them: 42,100 HKD a year.
 */
const LOCAL_UG_FEES: Record<string, string> = Object.fromEntries(PROGRAMS.UG.map((code) => [code, '42100 HKD']));

/** The eight categories, weighted roughly like an intake (most undergraduates are local JUPAS entrants). */
const CATEGORIES: Array<{
  weight: number;
  studyLevel: StudentRow['studyLevel'];
  admissionRoute?: StudentRow['admissionRoute'];
  residency: StudentRow['residency'];
}> = [
  { weight: 30, studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL' },
  { weight: 3, studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'NON_LOCAL' },
  { weight: 10, studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' },
  { weight: 12, studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'NON_LOCAL' },
  { weight: 14, studyLevel: 'TPG', residency: 'LOCAL' },
  { weight: 16, studyLevel: 'TPG', residency: 'NON_LOCAL' },
  { weight: 6, studyLevel: 'RPG', residency: 'LOCAL' },
  { weight: 9, studyLevel: 'RPG', residency: 'NON_LOCAL' },
];

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface SyntheticOptions {
  count: number;
  seed?: number;
  cohortId?: string;
  /** Application numbers are `<prefix><5 digits>`. */
  prefix?: string;
  registrationDeadline?: string;
  paymentDeadline?: string;
}

export function syntheticStudents(opts: SyntheticOptions): Row[] {
  const rnd = random(opts.seed ?? 2027);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const total = CATEGORIES.reduce((n, c) => n + c.weight, 0);
  const rows: Row[] = [];
  for (let i = 0; i < opts.count; i++) {
    // The first eight rows cover every category, whatever the count.
    let category = CATEGORIES[i % CATEGORIES.length]!;
    if (i >= CATEGORIES.length) {
      let r = rnd() * total;
      category = CATEGORIES.find((c) => (r -= c.weight) < 0) ?? category;
    }
    const [surname, given] = category.residency === 'NON_LOCAL' ? pick(INTERNATIONAL) : [pick(SURNAMES), pick(GIVEN)];
    const applicationNo = `${opts.prefix ?? 'A27'}${String(i + 1).padStart(5, '0')}`;
    const supplementary: string[] = [];
    if (category.studyLevel !== 'UG' && rnd() < 0.4) supplementary.push('FINAL_TRANSCRIPT', 'GRADUATION_CERTIFICATE');
    if (category.studyLevel !== 'UG' && category.residency === 'NON_LOCAL' && rnd() < 0.3) supplementary.push('ENGLISH_PROFICIENCY');
    if (category.admissionRoute === 'NON_JUPAS' && category.residency === 'LOCAL' && rnd() < 0.2) supplementary.push('HKDSE_RESULTS');
    const programCode = pick(PROGRAMS[category.studyLevel]);
    rows.push({
      applicationNo,
      name: `${surname.toUpperCase()} ${given}`,
      personalEmail: `${given.toLowerCase().replace(/[^a-z]+/g, '.')}.${surname
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${i + 1}@example.com`,
      programCode,
      studyLevel: category.studyLevel,
      admissionRoute: category.admissionRoute ?? '',
      residency: category.residency,
      cohortId: opts.cohortId ?? '2027-fall',
      registrationDeadline: opts.registrationDeadline ?? '2027-08-31',
      paymentDeadline: opts.paymentDeadline ?? '2027-08-20',
      supplementary: supplementary.join(';'),
      // Only the students who owe the fee carry one; the others need none.
      tuitionFee: category.admissionRoute === 'NON_JUPAS' && category.residency === 'LOCAL' ? LOCAL_UG_FEES[programCode]! : '',
    });
  }
  return rows;
}

const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function toCsv(rows: Row[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => quote(r[c])).join(','))].join('\n') + '\n';
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '300' },
      seed: { type: 'string', default: '2027' },
      cohort: { type: 'string' },
      prefix: { type: 'string' },
      deadline: { type: 'string' },
      'payment-deadline': { type: 'string' },
    },
  });
  process.stdout.write(
    toCsv(
      syntheticStudents({
        count: Number(values.count),
        seed: Number(values.seed),
        cohortId: values.cohort,
        prefix: values.prefix,
        registrationDeadline: values.deadline,
        paymentDeadline: values['payment-deadline'],
      }),
    ),
  );
}
