import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  children: ComponentChildren;
};

/** A real <button> (keyboard and screen readers for free); type defaults to "button", never an accidental submit. */
export function Button({ variant = 'secondary', type = 'button', class: extra, ...rest }: Props) {
  return <button type={type} class={`btn btn-${variant}${extra ? ` ${String(extra)}` : ''}`} {...rest} />;
}
