import '../../components/forms.css';

export type DurationOption = { label: string; seconds: number | null };

/** A labelled choice of how long (mute, ban); the value is the option's index. */
export function DurationSelect({ id, label, options, value, onChange }: { id: string; label: string; options: DurationOption[]; value: string; onChange(value: string): void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map((option, index) => (
          <option key={option.label} value={String(index)}>
            {option.label}
          </option>
        ))}
      </select>
    </>
  );
}
