/**
 * What the registration form says when a field is not right, in words written
 * for each field (the GOV.UK Design System's error-message advice: say what to
 * do, "Enter your date of birth", never "Please fill in this field."), and the
 * date of birth read from its day, month and year boxes. The rules are the
 * form's own (FORM_FIELD_RULES, which the gateway and the workflow check too);
 * only the wording lives here.
 */
import { FORM_FIELD_RULES, type FormFieldName } from '../../../../workflows/registration/vocabulary';

/**
 * A field's name in a sentence ("Full legal name must be…"), which is also its label on the form and
 * in Check your answers; its shorter label under its group's heading where the name would repeat the
 * heading (Emergency contact: Name); and what to say when it is empty or not in the right form.
 */
interface FieldWords {
  label: string;
  inGroup?: string;
  missing?: string;
  invalid?: string;
}

const PHONE_EXAMPLE = 'like +852 9123 4567';

export const FIELD_WORDS: Record<FormFieldName, FieldWords> = {
  legalName: { label: 'Full legal name', missing: 'Enter your full legal name, as in your passport or identity card' },
  preferredName: { label: 'Preferred name' },
  chineseName: { label: 'Name in Chinese' },
  dateOfBirth: { label: 'Date of birth', missing: 'Enter your date of birth', invalid: 'Date of birth must be a real date' },
  nationality: { label: 'Nationality', missing: 'Enter your nationality' },
  phone: {
    label: 'Mobile phone',
    missing: `Enter a phone number, ${PHONE_EXAMPLE}`,
    invalid: `Enter a phone number with digits, spaces and an optional + only, ${PHONE_EXAMPLE}`,
  },
  correspondenceAddress: { label: 'Correspondence address', missing: 'Enter your correspondence address' },
  'emergencyContact.name': { label: 'Emergency contact’s name', inGroup: 'Name', missing: 'Enter the name of your emergency contact' },
  'emergencyContact.relationship': {
    label: 'Emergency contact’s relationship to you',
    inGroup: 'Relationship to you',
    missing: 'Enter how your emergency contact is related to you, like Parent',
  },
  'emergencyContact.phone': {
    label: 'Emergency contact’s phone',
    inGroup: 'Phone',
    missing: `Enter your emergency contact’s phone number, ${PHONE_EXAMPLE}`,
    invalid: `Enter your emergency contact’s phone number with digits, spaces and an optional + only, ${PHONE_EXAMPLE}`,
  },
};

export const CONSENT_MISSING = 'Confirm that you have read the Personal Information Collection Statement and consent to the use of your personal data';

/** What is wrong with a text field's value, in the field's words; undefined when it is right. */
export function textFieldProblem(name: FormFieldName, value: string): string | undefined {
  const rule = FORM_FIELD_RULES[name];
  const words = FIELD_WORDS[name];
  const trimmed = value.trim();
  if (!trimmed) return rule.required ? (words.missing ?? `Enter your ${words.label.toLowerCase()}`) : undefined;
  if (rule.maxLength && trimmed.length > rule.maxLength) return `${words.label} must be ${rule.maxLength} characters or fewer`;
  if (rule.pattern && !new RegExp(rule.pattern).test(trimmed)) return words.invalid ?? `${words.label} is not in the right form`;
  return undefined;
}

/**
 * A refusal from the gateway for one field, in the field's words: its own sentence when it says what the value
 * "must" be (control characters, say, which this page does not check), else the field's hand-written message.
 */
export function serverFieldMessage(name: FormFieldName, message: string): string {
  if (/^must /.test(message)) return `${FIELD_WORDS[name].label} ${message}`;
  return FIELD_WORDS[name].invalid ?? FIELD_WORDS[name].missing ?? `${FIELD_WORDS[name].label}: ${message}`;
}

// ---------------------------------------------------------------------------
// Date of birth: three boxes
// ---------------------------------------------------------------------------

export type DatePart = 'day' | 'month' | 'year';
const DATE_PARTS: readonly DatePart[] = ['day', 'month', 'year'];

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "5", "05", "May" or "may" → 5; a month name may be shortened to three letters ("Sep", "sept"). */
function monthNumber(text: string): number | undefined {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const word = text.toLowerCase().replace(/\.$/, '');
  if (word.length < 3) return undefined;
  const index = MONTHS.findIndex((m) => m.startsWith(word));
  return index < 0 ? undefined : index + 1;
}

/** The date of birth as YYYY-MM-DD, or what is wrong and which boxes to mark. `today` is YYYY-MM-DD in Hong Kong. */
export function readDateOfBirth(boxes: Record<DatePart, string>, today: string): { ok: true; iso: string } | { ok: false; message: string; parts: DatePart[] } {
  const text = { day: boxes.day.trim(), month: boxes.month.trim(), year: boxes.year.trim() };
  const empty = DATE_PARTS.filter((p) => !text[p]);
  if (empty.length === 3) return { ok: false, message: 'Enter your date of birth', parts: ['day', 'month', 'year'] };
  if (empty.length) return { ok: false, message: `Date of birth must include a ${empty.join(' and a ')}`, parts: empty };
  const day = /^\d{1,2}$/.test(text.day) ? Number(text.day) : undefined;
  const month = monthNumber(text.month);
  if (!/^\d{4}$/.test(text.year)) return { ok: false, message: 'Year must include 4 numbers, like 2007', parts: ['year'] };
  const year = Number(text.year);
  const real = day !== undefined && month !== undefined && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  if (!real) {
    const parts: DatePart[] = day === undefined || day < 1 || day > 31 ? ['day'] : [];
    if (month === undefined || month < 1 || month > 12) parts.push('month');
    return { ok: false, message: 'Date of birth must be a real date', parts: parts.length ? parts : ['day', 'month', 'year'] };
  }
  const iso = `${text.year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  if (iso >= today) return { ok: false, message: 'Date of birth must be in the past', parts: ['day', 'month', 'year'] };
  return { ok: true, iso };
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
